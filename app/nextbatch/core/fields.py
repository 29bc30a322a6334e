"""Reading typed fields out of plain dicts, collecting every type problem with its path.

`Study.from_dict` uses one `FieldReader` for the whole file so that a broken file is reported
in one go instead of one error per attempt.
"""

from __future__ import annotations

import math
from typing import Any

from nextbatch.core.errors import Problem


def is_number(value: object) -> bool:
    """True for int/float (not bool), the only types a JSON number turns into."""
    return isinstance(value, int | float) and not isinstance(value, bool)



class FieldReader:
    """Pulls typed values out of dicts and records a `Problem` for each wrong type."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, value: object, message: str) -> None:
        self.problems.append(Problem(path, value, message))

    def mapping(self, value: object, path: str) -> dict[str, Any]:
        if isinstance(value, dict):
            return value
        self.fail(path, value, "expected an object ({...})")
        return {}

    def items(self, d: dict[str, Any], key: str, path: str) -> list[Any]:
        value = d.get(key, [])
        if isinstance(value, list):
            return value
        self.fail(f"{path}{key}", value, "expected a list ([...])")
        return []

    def text(self, d: dict[str, Any], key: str, path: str, default: str | None = "") -> Any:
        value = d.get(key, default)
        if value is None or isinstance(value, str):
            return value
        self.fail(f"{path}{key}", value, "expected text")
        return default

    def required_text(self, d: dict[str, Any], key: str, path: str) -> str:
        if key not in d:
            self.fail(f"{path}{key}", None, "is missing")
            return ""
        return self.text(d, key, path) or ""

    def number(self, d: dict[str, Any], key: str, path: str, default: Any = None) -> Any:
        value = d.get(key, default)
        if value is None or value is default:
            return value
        if is_number(value) and math.isfinite(value):
            return value
        self.fail(f"{path}{key}", value, "expected a finite number")
        return default

    def flag(self, d: dict[str, Any], key: str, path: str, default: bool = False) -> bool:
        value = d.get(key, default)
        if isinstance(value, bool):
            return value
        self.fail(f"{path}{key}", value, "expected true or false")
        return default

    def numbers(self, d: dict[str, Any], key: str, path: str) -> list[Any]:
        out = []
        for i, v in enumerate(self.items(d, key, path)):
            if is_number(v) and math.isfinite(v):
                out.append(v)
            else:
                self.fail(f"{path}{key}[{i}]", v, "expected a finite number")
        return out

    def texts(self, d: dict[str, Any], key: str, path: str) -> list[str]:
        out = []
        for i, v in enumerate(self.items(d, key, path)):
            if isinstance(v, str):
                out.append(v)
            else:
                self.fail(f"{path}{key}[{i}]", v, "expected text")
        return out


def unknown_keys(d: dict[str, Any], known: set[str]) -> dict[str, Any]:
    """Keys a newer app or a hand edit added: kept as they are so saving never drops them."""
    return {k: v for k, v in d.items() if k not in known}


def put(out: dict[str, Any], key: str, value: Any, default: Any = None) -> None:
    """Write `key` only when it differs from its default, so files stay small and readable."""
    if value != default:
        out[key] = value
