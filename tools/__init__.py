"""Aliases only, so that documented command lines keep working after the move to a folder per concern.

``python -m tools.verify`` runs ``proof.verify``; likewise ``tools.local`` (``emulator.local``),
``tools.aws`` (``aws.commands``), ``tools.hcl`` and ``tools.diagram`` (``writers``), ``tools.scan``
and ``tools.plan_review`` (``proof``), ``tools.import_ecspresso`` (``importers.ecspresso``),
``tools.selection`` (``topology.selection``), ``tools.tf_mirror`` (``toolchain``) and ``tools.bench`` (``benchmarks``).
"""
