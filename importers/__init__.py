"""Importers that turn what a team already runs (ecspresso projects) into a declaration."""
