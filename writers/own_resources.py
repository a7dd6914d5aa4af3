"""The generated part of ``docs/own-resources.md``: each grant's IAM actions, from ``topology.extras.ACCESS``.

The page is written by hand around one marked block; this rewrites the block (``make docs``) and a test fails when
it differs from the code, so the page cannot promise actions the task role does not get.

    python -m writers.own_resources            # rewrite the block in docs/own-resources.md
    python -m writers.own_resources --check    # exit 1 if the committed block is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

from topology.errors import CommandLine, command
from topology.extras import ACCESS, NETWORK_ACCESS, TERRAFORM_TYPE

PAGE = Path(__file__).resolve().parent.parent / "docs" / "own-resources.md"
BEGIN = "<!-- generated: grants (writers/own_resources.py; `make docs`) -->"
END = "<!-- end generated -->"
CLASS = {
    "queue": "Queue",
    "topic": "Topic",
    "bucket": "Bucket",
    "table": "Table",
    "secret": "StoredSecret",
    "parameter": "Parameter",
    "guarded": "Guarded",
}
"""The declaration's name of each kind (``topology.extras``)."""


def grants_table() -> str:
    """One row per grant, in ``ACCESS`` order, then the grants that are security group rules."""
    rows = ["| resource | grant | what the service gets |", "|---|---|---|"]
    for (kind, access), actions in ACCESS.items():
        listed = ", ".join(f"`{action}`" for action in actions)
        rows.append(f"| `{CLASS[kind]}` (`{TERRAFORM_TYPE[kind]}`) | `.{access}` | {listed} |")
    for kind, access in NETWORK_ACCESS:
        rule = "no IAM action: an ingress rule on its group from the service's group, TCP on its `port`, and the egress rule to it"
        rows.append(f"| `{CLASS[kind]}` (`{TERRAFORM_TYPE[kind]}`) | `.{access}` | {rule} |")
    return "\n".join(rows)


def render(page: str) -> str:
    """``page`` with its generated block rewritten from the code."""
    head, rest = page.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{grants_table()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = CommandLine(description="Rewrite the generated grants table of docs/own-resources.md.")
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed table differs from the code")
    args = parser.parse_args(argv)
    current = PAGE.read_text(encoding="utf-8")
    text = render(current)
    if args.check:
        if current != text:
            print(f"{PAGE.name} is out of date: run `make docs`", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(command(main))
