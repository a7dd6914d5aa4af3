"""Alias package: the checker is now ``proof.verify``; ``python -m tools.verify`` keeps working."""
