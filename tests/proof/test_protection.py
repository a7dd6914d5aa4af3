"""Finding 8: a destroy of a deletion-protected load balancer stops before the first resource goes."""

from __future__ import annotations

from typing import Any

from proof.plan_review import review
from proof.protection import protected_in_state


def _lb_change(actions: list[str], protected: bool) -> dict[str, Any]:
    before = {"name": "shop-acme", "enable_deletion_protection": protected}
    return {"address": "aws_lb.entry_shop_lb", "type": "aws_lb", "change": {"actions": actions, "before": before, "after": None}}


def test_the_plan_review_blocks_a_destroy_of_a_protected_load_balancer() -> None:
    plan = {"resource_changes": [_lb_change(["delete"], True)]}
    assert any("load balancer shop-acme has deletion protection" in line for line in review("services", plan).blocking)
    unprotected = {"resource_changes": [_lb_change(["delete"], False)]}
    assert not any("deletion protection" in line for line in review("services", unprotected).blocking)


def test_the_destroy_command_finds_protected_load_balancers_in_the_state() -> None:
    state = {
        "values": {
            "root_module": {
                "resources": [
                    {"address": "aws_lb.a", "type": "aws_lb", "values": {"name": "shop-acme", "enable_deletion_protection": True}},
                    {"address": "aws_lb.b", "type": "aws_lb", "values": {"name": "admin-acme", "enable_deletion_protection": False}},
                ]
            }
        }
    }
    assert protected_in_state(state) == ["shop-acme"]
