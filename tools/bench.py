"""Alias kept so that `python -m tools.bench` keeps working: the module is now ``benchmarks.bench``."""

import runpy

runpy.run_module("benchmarks.bench", run_name="__main__", alter_sys=True)
