import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nextbatch.core.constraints import LinearConstraint, format_constraint, parse_constraint
from nextbatch.core.errors import ConstraintSyntaxError, NextBatchError

NAMES = ["water", "stearic_acid", "koh", "glycerin", "hop_60", "hop_10"]


@pytest.mark.parametrize(
    ("text", "coeffs", "op", "rhs"),
    [
        ("stearic_acid - 2*koh >= 0", {"stearic_acid": 1, "koh": -2}, ">=", 0),
        ("glycerin + koh <= 12", {"glycerin": 1, "koh": 1}, "<=", 12),
        ("hop_60 + hop_10 = 40", {"hop_60": 1, "hop_10": 1}, "==", 40),
        ("hop_60 + hop_10 == 40", {"hop_60": 1, "hop_10": 1}, "==", 40),
        ("koh < 4", {"koh": 1}, "<=", 4),
        ("koh > 1", {"koh": 1}, ">=", 1),
        ("koh ≤ 4", {"koh": 1}, "<=", 4),
        ("koh*2 + 3 > water - 1", {"koh": 2, "water": -1}, ">=", -4),
        ("3 + water >= 2*koh + 1", {"water": 1, "koh": -2}, ">=", -2),
        ("-koh >= -4", {"koh": -1}, ">=", -4),
        ("- -koh >= 1", {"koh": 1}, ">=", 1),
        ("2*-koh <= 0", {"koh": -2}, "<=", 0),
        (".5*koh + 1e-3*water <= 2.5", {"koh": 0.5, "water": 0.001}, "<=", 2.5),
        ("1E+2*koh <= 5.", {"koh": 100}, "<=", 5),
        ("-(water - 2*koh)*3 <= 1", {"water": -3, "koh": 6}, "<=", 1),
        ("2*(3*koh) = 4*2", {"koh": 6}, "==", 8),
        ("koh + water + koh <= 9", {"koh": 2, "water": 1}, "<=", 9),
        ("koh + water - water <= 9", {"koh": 1}, "<=", 9),
        ("0.1*koh + 0.2*koh - 0.3*koh + water >= 1", {"water": 1}, ">=", 1),
        ("water>=60", {"water": 1}, ">=", 60),
        ("stearic_acid − 2×koh ≥ 0", {"stearic_acid": 1, "koh": -2}, ">=", 0),
    ],
)
def test_good_rules_parse_to_merged_coefficients(text, coeffs, op, rhs):
    c = parse_constraint(text, NAMES)
    assert c.coeffs == pytest.approx(coeffs)
    assert c.variables == list(coeffs)  # order of first appearance
    assert (c.op, c.text) == (op, text)
    assert c.rhs == pytest.approx(rhs)


@pytest.mark.parametrize(
    ("text", "position", "words"),
    [
        ("", 0, "empty"),
        ("   ", 0, "empty"),
        ("koh + water", 11, "missing comparison"),
        (">= 3", 0, "nothing on the left of '>='"),
        ("koh >=", 4, "nothing on the right of '>='"),
        ("koh >= ", 4, "nothing on the right"),
        ("1 <= koh <= 4", 9, "exactly one comparison"),
        ("koh >= = 4", 7, "exactly one comparison"),
        ("koh*water >= 1", 4, "'koh*water' multiplies two variables"),
        ("2*koh*(water + 1) >= 1", 6, "only linear rules are allowed"),
        ("koh + >= 3", 4, "'+' has nothing after it"),
        ("koh - ", 4, "'-' has nothing after it"),
        ("koh * >= 3", 4, "'*' has nothing after it"),
        ("* koh >= 1", 0, "'*' has nothing before it"),
        ("3 >= 2", 0, "no variable"),
        ("koh - koh >= 1", 0, "no variable"),
        ("koh ^ 2 >= 1", 4, "unexpected character '^'"),
        ("koh/2 >= 1", 3, "division is not allowed"),
        ("koh != 2", 4, "'!=' is not allowed"),
        ("koh => 2", 4, "write >= instead of =>"),
        ("koh =< 2", 4, "write <= instead of =<"),
        ("2 koh >= 1", 2, "write 2*koh"),
        ("2koh >= 1", 1, "missing operator between '2' and 'koh'"),
        ("koh water >= 1", 4, "missing operator"),
        ("(koh >= 3", 0, "'(' is never closed"),
        ("koh >= 3)", 8, "')' has no matching '('"),
        ("() >= 1", 0, "nothing inside the parentheses"),
        ("kho >= 1", 0, "unknown variable 'kho'; did you mean 'koh'?"),
        ("koh + zzz >= 1", 6, "unknown variable 'zzz'"),
        ("koh >= 1e999", 7, "too large"),
    ],
)
def test_bad_rules_point_at_the_offending_token(text, position, words):
    with pytest.raises(ConstraintSyntaxError) as info:
        parse_constraint(text, NAMES)
    assert info.value.position == position
    assert words in info.value.reason
    assert info.value.text == text
    # The message shows the rule with a caret under the bad token.
    assert str(info.value).endswith(f"  {text}\n  {' ' * position}^")


def test_syntax_errors_are_nextbatch_errors():
    with pytest.raises(NextBatchError):
        parse_constraint("koh >=")


def test_without_names_any_identifier_is_accepted():
    assert parse_constraint("anything_at_all + x2 <= 1").variables == ["anything_at_all", "x2"]


def test_unknown_name_without_a_close_match_gives_no_suggestion():
    with pytest.raises(ConstraintSyntaxError) as info:
        parse_constraint("zzz >= 1", NAMES)
    assert "did you mean" not in info.value.reason


def test_parser_never_evaluates_python():
    with pytest.raises(ConstraintSyntaxError) as info:
        parse_constraint("__import__('os') >= 1")
    assert info.value.position == 11  # the quote, not a call


@pytest.mark.parametrize(
    ("text", "settings", "lhs", "violation"),
    [
        ("stearic_acid - 2*koh >= 0", {"stearic_acid": 5.0, "koh": 3.1}, -1.2, 1.2),
        ("stearic_acid - 2*koh >= 0", {"stearic_acid": 9.0, "koh": 3.0}, 3.0, 0.0),
        ("glycerin + koh <= 12", {"glycerin": 10.0, "koh": 3.5}, 13.5, 1.5),
        ("glycerin + koh <= 12", {"glycerin": 8.0, "koh": 3.5}, 11.5, 0.0),
        ("hop_60 + hop_10 = 40", {"hop_60": 30.0, "hop_10": 12.0}, 42.0, 2.0),
        ("hop_60 + hop_10 = 40", {"hop_60": 30.0, "hop_10": 7.0}, 37.0, 3.0),
    ],
)
def test_lhs_and_violation(text, settings, lhs, violation):
    c = parse_constraint(text)
    assert c.lhs(settings) == pytest.approx(lhs)
    assert c.violation(settings) == pytest.approx(violation)


def test_format_is_readable():
    c = parse_constraint("3 + water >= 2*koh + 1 - 0.5*glycerin")
    assert format_constraint(c) == "water - 2*koh + 0.5*glycerin >= -2"
    assert format_constraint(parse_constraint("-koh = 4")) == "-koh = 4"


_names = st.from_regex(r"[a-z_][a-z0-9_]{0,7}", fullmatch=True)
_numbers = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)
_coeffs = _numbers.filter(lambda x: x != 0)


@st.composite
def constraints(draw):
    names = draw(st.lists(_names, min_size=1, max_size=5, unique=True))
    coeffs = {n: draw(_coeffs) for n in names}
    return LinearConstraint(coeffs, draw(st.sampled_from(["<=", ">=", "=="])),
                            draw(_numbers) + 0.0, "")


@given(constraints())
def test_format_then_parse_is_the_identity(c):
    back = parse_constraint(format_constraint(c))
    assert back.coeffs == c.coeffs
    assert list(back.coeffs) == list(c.coeffs)
    assert (back.op, back.rhs) == (c.op, c.rhs)
    assert format_constraint(back) == back.text


@given(st.text(alphabet="ab12.e+-*()<=> /_", max_size=20))
def test_any_text_parses_or_raises_a_constraint_error(text):
    try:
        c = parse_constraint(text)
    except ConstraintSyntaxError as exc:
        assert 0 <= exc.position <= len(text)
    else:
        assert c.coeffs and all(math.isfinite(v) and v != 0 for v in c.coeffs.values())


def test_a_superscript_digit_is_an_unexpected_character_not_a_crash():
    with pytest.raises(ConstraintSyntaxError) as info:
        parse_constraint("² >= 1")
    assert info.value.position == 0
