"""Reading what a person types into a cell: numbers with a decimal comma, lists, blanks."""

from __future__ import annotations

import math
import re

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}([ '\u00a0\u202f]\d{3})+([.,]\d+)?$")


def parse_number(text: str) -> float | int | None:
    """`"4,5"` -> 4.5, `"5 000"` -> 5000, `""` -> None; ValueError for anything else.

    A single comma is a decimal comma (as Excel writes it in much of Europe); a dot is a
    decimal point. Whole numbers come back as int so that they display as typed.
    """
    cleaned = text.strip()
    if not cleaned:
        return None
    if _THOUSANDS.match(cleaned):
        cleaned = re.sub(r"[ '\u00a0\u202f]", "", cleaned)
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{text.strip()!r} is not a finite number")
    return int(value) if value.is_integer() and "e" not in cleaned.lower() else value


def format_number(value: object) -> str:
    """Numbers as people write them (no float noise): 72.4, 5000, 0.001."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e15 else f"{value:g}"
    return str(value)


def split_list(text: str) -> list[str]:
    """`"60; 65, 70"` -> ["60", "65", "70"]; entries separated by `;` or `,` (or `|`)."""
    separator = ";" if ";" in text else ("|" if "|" in text else ",")
    return [part.strip() for part in text.split(separator) if part.strip()]


def parse_numbers(text: str) -> list[float | int]:
    """A list of numbers; with `;` as separator each entry may use a decimal comma."""
    out = []
    for part in split_list(text):
        value = parse_number(part)
        if value is not None:
            out.append(value)
    return out


def parse_block(text: str) -> list[list[str]]:
    """A block copied from Excel: rows by newline, cells by tab; a trailing newline dropped."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.split("\t") for line in lines]
