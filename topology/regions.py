"""AWS regions as botocore's endpoint data knows them (a maintained list, pinned in Pipfile.lock)."""

from __future__ import annotations

import functools
from collections.abc import Iterator


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region of every partition in botocore's ``endpoints.json``."""
    from botocore.loaders import create_loader

    endpoints = create_loader().load_data("endpoints")
    return frozenset(region for partition in endpoints["partitions"] for region in partition["regions"])


def botocore_version() -> str:
    import botocore

    return str(botocore.__version__)


def region_problem(where: str, region: str) -> Iterator[str]:
    if region not in known_regions():
        yield (
            f"{where}: {region!r} is not an AWS region (botocore {botocore_version()}'s endpoint data lists none such; "
            "a region newer than that needs a newer botocore pin)"
        )
