"""Numbers typed or pasted the way people write them."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nextbatch.ui.text_values import format_number, parse_block, parse_number, parse_numbers


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_a_shown_number_reads_back_as_the_same_number(x: float) -> None:
    shown = format_number(x)
    assert math.isclose(parse_number(shown), float(shown), rel_tol=0, abs_tol=0)
    assert math.isclose(parse_number(shown), x, rel_tol=1e-5, abs_tol=1e-300)


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=999))
def test_a_decimal_comma_means_the_same_as_a_point(whole: int, frac: int) -> None:
    assert parse_number(f"{whole},{frac:03d}") == parse_number(f"{whole}.{frac:03d}")


@pytest.mark.parametrize(("text", "value"), [
    ("4,5", 4.5), (" 72.4 ", 72.4), ("5 000", 5000), ("5\u00a0000,5", 5000.5), ("", None),
    ("1e-3", 0.001), ("-2", -2),
])
def test_common_ways_of_writing_numbers(text: str, value: float | None) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["abc", "3 cm", "1,2,3", "nan", "inf"])
def test_what_is_not_a_number_is_refused_by_value(text: str) -> None:
    with pytest.raises(ValueError, match="is not a"):
        parse_number(text)


def test_lists_and_excel_blocks() -> None:
    assert parse_numbers("60; 62,5; 70") == [60, 62.5, 70]
    assert parse_numbers("60, 65, 70") == [60, 65, 70]
    assert parse_block("1\t2\r\n3\t4\r\n") == [["1", "2"], ["3", "4"]]
    assert parse_block("a\t\tb") == [["a", "", "b"]]
