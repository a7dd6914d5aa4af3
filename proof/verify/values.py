"""Values as Terraform converts them: booleans and whole numbers written as strings, lists that may be scalars."""

from __future__ import annotations

from typing import Any

from .model import Unknown, as_list


def truth(value: Any) -> bool | Unknown:
    """A Terraform bool as written (``true``, ``"true"``, absent) or Unknown when computed."""
    if isinstance(value, Unknown):
        return value
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return Unknown(f"{value!r} is not a bool")


def present(value: Any) -> list[Any]:
    """The items of a list-or-scalar field that are set (plans show unset strings as "")."""
    return [item for item in as_list(value) if item not in (None, "")]


def port(value: Any) -> int | Unknown | None:
    """A whole number written any way Terraform converts to one: ``80``, ``80.0``, ``"80"``, ``8e1``."""
    if value is None:
        return None
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return Unknown(f"{value!r} is not a port")
    if isinstance(value, int):
        return value
    if isinstance(value, float | str) and not (isinstance(value, str) and "${" in value):
        try:
            number = float(value.strip() if isinstance(value, str) else value)
        except ValueError:
            return Unknown(f"port {value!r} is not a number")
        if number.is_integer():
            return int(number)
        return Unknown(f"port {value!r} is not a whole number")
    return Unknown(f"port {value!r} is computed")
