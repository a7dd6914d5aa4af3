"""AWS regions as botocore's endpoint data knows them (a maintained list, pinned in Pipfile.lock).

The data file is read directly: ``botocore.loaders`` would cost ~0.15 s of imports per synth.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region of every partition in botocore's ``data/endpoints.json``."""
    spec = importlib.util.find_spec("botocore")
    if spec is None or spec.origin is None:
        raise RuntimeError("botocore is not installed: run `make setup` (it is pinned in Pipfile.lock)")
    endpoints = json.loads((Path(spec.origin).parent / "data" / "endpoints.json").read_text(encoding="utf-8"))
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
