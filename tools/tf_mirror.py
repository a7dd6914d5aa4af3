"""Alias kept so that `python -m tools.tf_mirror` keeps working: the module is now ``toolchain.tf_mirror``."""

import runpy

runpy.run_module("toolchain.tf_mirror", run_name="__main__", alter_sys=True)
