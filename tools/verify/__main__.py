"""Alias kept so that `python -m tools.verify` keeps working: the package is now ``proof.verify``."""

import runpy

runpy.run_module("proof.verify", run_name="__main__", alter_sys=True)
