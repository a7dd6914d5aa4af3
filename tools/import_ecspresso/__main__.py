"""Alias kept so that `python -m tools.import_ecspresso` keeps working: the package is now ``importers.ecspresso``."""

import runpy

runpy.run_module("importers.ecspresso", run_name="__main__", alter_sys=True)
