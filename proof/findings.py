"""What the proof's checks report: one finding, one shape, for ``make verify``, ``make verify-live`` and the plan review.

Each check says what it found (``kind``), about whom (``subject``: a service, or for the plan review a stack),
where (``resource``: a resource address or ID, empty when the finding is about the subject as a whole) and what
it means (``detail``, one line). Findings sort by subject, then resource, kind and detail, so a report is the same
bytes for the same input. Each report keeps the line and the JSON keys it has always printed, named here once as a
layout (``line``) and a key map (``as_json``), so the data has one shape and its readers stay compatible.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PROOF_LINE = "service '{subject}': {resource}: {kind}: {detail}"
"""``make verify``'s line: the service, the resource, the rule it breaks and why."""


@dataclass(frozen=True, order=True)
class Finding:
    """One thing a proof's check found (verify's rule broken, a live claim or drift, a plan review's finding)."""

    subject: str
    resource: str
    kind: str
    detail: str

    def line(self, layout: str = PROOF_LINE) -> str:
        """The finding as one line of a report (``layout`` names the fields, as ``str.format``)."""
        return layout.format(subject=self.subject, resource=self.resource, kind=self.kind, detail=self.detail)

    def as_json(self, keys: Mapping[str, str]) -> dict[str, str]:
        """The finding as a report's JSON object: ``keys`` maps each JSON key, in order, to a field's name."""
        return {key: str(getattr(self, name)) for key, name in keys.items()}

    def __str__(self) -> str:
        return self.line()
