"""Alias kept so that `python -m tools.bench` keeps working: the module is now ``toolchain.bench``."""

import runpy

runpy.run_module("toolchain.bench", run_name="__main__", alter_sys=True)
