"""The drawn diagrams, as laid out by Graphviz: no arrow crosses a label (issue 20).

Graphviz's JSON output gives every cluster's and edge label's box and every edge's Bezier
curve; a curve sampled into points must not enter a label box other than its own edge's.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from examples import NAMES, load
from topology import Settings
from writers import diagram

Box = tuple[str, float, float, float, float, int | None]


def _curve(points: list[list[float]], steps: int = 24) -> list[tuple[float, float]]:
    """Points along a piecewise cubic Bezier (Graphviz's ``b`` draw operation)."""
    sampled = []
    for start in range(0, len(points) - 3, 3):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points[start : start + 4]
        for step in range(steps + 1):
            t = step / steps
            a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t * t, t**3
            sampled.append((a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3))
    return sampled


def _label_boxes(layout: dict[str, Any]) -> list[Box]:
    """Cluster labels (``lp`` and size in inches) and edge labels (``lp`` and their text widths), in points."""
    boxes: list[Box] = []
    for item in layout["objects"]:
        if "lp" in item and "lwidth" in item:
            x, y = map(float, item["lp"].split(","))
            width, height = float(item["lwidth"]) * 72, float(item["lheight"]) * 72
            boxes.append((item["name"], x - width / 2, y - height / 2, x + width / 2, y + height / 2, None))
    for index, edge in enumerate(layout.get("edges", [])):
        texts = [op for op in edge.get("_ldraw_", []) if op["op"] == "T"]
        if "lp" in edge and texts:
            x, y = map(float, edge["lp"].split(","))
            width, height = max(op["width"] for op in texts), 11.0 * len(texts)
            boxes.append((f"label of edge {index}", x - width / 2, y - height / 2, x + width / 2, y + height / 2, index))
    return boxes


@pytest.mark.parametrize("example", NAMES)
def test_no_arrow_crosses_a_label(example: str) -> None:
    layout = json.loads(diagram.render_svg(diagram.dot(load(example), Settings()), "json"))
    names = {item["_gvid"]: item["name"] for item in layout["objects"]}
    boxes = _label_boxes(layout)
    assert boxes, "the layout has labels"
    crossings = []
    for index, edge in enumerate(layout.get("edges", [])):
        points = [point for op in edge.get("_draw_", []) if op["op"] == "b" for point in op["points"]]
        for label, left, bottom, right, top, own in boxes:
            if own != index and any(left <= x <= right and bottom <= y <= top for x, y in _curve(points)):
                crossings.append(f"{names[edge['tail']]} -> {names[edge['head']]} crosses {label}")
    assert crossings == []
