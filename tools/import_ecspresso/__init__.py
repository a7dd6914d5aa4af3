"""Alias package: the importer is now ``importers.ecspresso``; ``python -m tools.import_ecspresso`` keeps working."""
