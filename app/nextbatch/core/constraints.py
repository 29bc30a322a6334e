"""Linear constraints written as a person writes them: `stearic_acid - 2*koh >= 0`.

A small tokenizer and recursive-descent parser of our own (never `eval`), so that every error
can point at the token that caused it. The grammar, with `*` binding tighter than `+`/`-`:

    rule    := side COMPARE side            exactly one comparison
    side    := term (("+" | "-") term)*
    term    := unary ("*" unary)*           at most one factor of a product holds a variable
    unary   := ("+" | "-") unary | atom
    atom    := NUMBER | NAME | "(" side ")"

Comparisons are `<=`, `>=`, `=`, `==`, `<`, `>` (and `≤`, `≥`); `<` and `>` mean `<=` and
`>=` because a recipe on the boundary is as good as one just inside it. The signs `−` and `×`
that word processors put into pasted text read as `-` and `*`. Multiplication must be
written: `2 koh` and `2koh` are refused with a hint to write `2*koh`, because an implicit
product would also silently accept a typo such as `koh water`. Terms may stand on both sides;
they are moved to the left and the constants to the right.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from nextbatch.core.errors import ConstraintSyntaxError

OPS = ("<=", ">=", "==")
_COMPARE = {"<=": "<=", ">=": ">=", "==": "==", "=": "==", "<": "<=", ">": ">=",
            "≤": "<=", "≥": ">="}
_SHOWN_OP = {"<=": "<=", ">=": ">=", "==": "="}
# The minus sign and times sign that word processors put in pasted text count as - and *.
_OPERATORS = {"+": "+", "-": "-", "*": "*", "−": "-", "×": "*"}
_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
# Coefficients that cancel to within this fraction of what was added up count as zero
# (`0.1*a + 0.2*a - 0.3*a` leaves float noise, not a variable).
_CANCEL = 1e-12


@dataclass(frozen=True)
class LinearConstraint:
    """`sum(coeffs[name] * value[name]) op rhs`, parsed from `text`.

    `coeffs` holds one merged, non-zero coefficient per variable in order of first appearance;
    `op` is one of "<=", ">=", "==".
    """

    coeffs: dict[str, float]
    op: str
    rhs: float
    text: str

    @property
    def variables(self) -> list[str]:
        return list(self.coeffs)

    def lhs(self, settings: Mapping[str, float]) -> float:
        """The left-hand side evaluated at `settings` (which must name every variable)."""
        return math.fsum(c * float(settings[name]) for name, c in self.coeffs.items())

    def violation(self, settings: Mapping[str, float]) -> float:
        """How far `settings` break the rule: 0 when it holds, else the gap to the rhs."""
        gap = self.lhs(settings) - self.rhs
        if self.op == "<=":
            return max(0.0, gap)
        if self.op == ">=":
            return max(0.0, -gap)
        return abs(gap)


def format_constraint(c: LinearConstraint) -> str:
    """Canonical readable text, `stearic_acid - 2*koh >= 0`; parsing it gives `c` back."""
    parts: list[str] = []
    for name, coeff in c.coeffs.items():
        sign = "-" if coeff < 0 else "+"
        size = abs(coeff)
        term = name if size == 1 else f"{_number(size)}*{name}"
        if not parts:
            parts.append(term if sign == "+" else f"-{term}")
        else:
            parts.append(f"{sign} {term}")
    return f"{' '.join(parts)} {_SHOWN_OP[c.op]} {_number(c.rhs)}"


def parse_constraint(text: str, names: Collection[str] | None = None) -> LinearConstraint:
    """Parse one linear rule; `names`, when given, are the variables it may use.

    Raises ConstraintSyntaxError with the 0-based position of the offending token.
    """
    return _Parser(text, names).rule()


def _number(x: float) -> str:
    """Shortest text that reads back as exactly `x` (`2`, `0.5`, `1e-05`)."""
    if x == 0:
        return "0"
    if float(x).is_integer() and abs(x) < 1e16:
        return str(int(x))
    return repr(float(x))


# ------------------------------------------------------------------------------ tokens
@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "name", "op" (+ - *), "compare", "(", ")", "end"
    text: str
    pos: int
    value: float = 0.0


def _is_digit(ch: str) -> bool:
    """ASCII digits only: `str.isdigit` also accepts `²` and other signs no number starts with."""
    return len(ch) == 1 and "0" <= ch <= "9"


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif _is_digit(ch) or (ch == "." and _is_digit(text[i + 1:i + 2])):
            match = _NUMBER.match(text, i)
            assert match is not None  # a digit or ".digit" always starts a number
            value = float(match.group())
            if not math.isfinite(value):
                raise ConstraintSyntaxError(f"the number {match.group()} is too large",
                                            text, i)
            tokens.append(_Token("number", match.group(), i, value))
            i = match.end()
        elif ch.isalpha() or ch == "_":
            j = i + 1
            while j < len(text) and (text[j].isalnum() or text[j] == "_"):
                j += 1
            tokens.append(_Token("name", text[i:j], i))
            i = j
        elif text.startswith(("=>", "=<"), i):
            raise ConstraintSyntaxError(f"write {text[i + 1]}= instead of {text[i:i + 2]}",
                                        text, i)
        elif text.startswith(("<=", ">=", "=="), i):
            tokens.append(_Token("compare", text[i:i + 2], i))
            i += 2
        elif ch in _COMPARE:
            tokens.append(_Token("compare", ch, i))
            i += 1
        elif ch in _OPERATORS:
            tokens.append(_Token("op", _OPERATORS[ch], i))
            i += 1
        elif ch in "()":
            tokens.append(_Token(ch, ch, i))
            i += 1
        else:
            raise ConstraintSyntaxError(_unexpected(ch), text, i)
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _unexpected(ch: str) -> str:
    if ch == "/":
        return "division is not allowed: write a factor instead, e.g. 0.5*koh for koh/2"
    if ch == "!":
        return "'!=' is not allowed: a rule is one of <=, >= or ="
    return f"unexpected character {ch!r}: a rule holds numbers, names, + - * ( ) and one " \
           "comparison"


# ------------------------------------------------------------------------------ parser
@dataclass
class _Linear:
    """A linear expression while parsing: coefficients and constant.

    `scale` and `const_scale` hold the size of what was added up, so that cancellation noise
    can be told from a real coefficient.
    """

    coeffs: dict[str, float]
    scale: dict[str, float]
    const: float = 0.0
    const_scale: float = 0.0

    def scaled(self, k: float) -> _Linear:
        return _Linear({n: k * c for n, c in self.coeffs.items()},
                       {n: abs(k) * s for n, s in self.scale.items()},
                       k * self.const, abs(k) * self.const_scale)

    def plus(self, other: _Linear) -> _Linear:
        coeffs, scale = dict(self.coeffs), dict(self.scale)
        for name, c in other.coeffs.items():
            coeffs[name] = coeffs.get(name, 0.0) + c
            scale[name] = scale.get(name, 0.0) + other.scale[name]
        return _Linear(coeffs, scale, self.const + other.const,
                       self.const_scale + other.const_scale)


class _Parser:
    def __init__(self, text: str, names: Collection[str] | None) -> None:
        self.text = text
        self.names = None if names is None else list(names)
        self.tokens = _tokenize(text)
        self.i = 0

    def fail(self, message: str, position: int) -> ConstraintSyntaxError:
        return ConstraintSyntaxError(message, self.text, position)

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def advance(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def rule(self) -> LinearConstraint:
        if self.peek().kind == "end":
            raise self.fail("the rule is empty: write e.g. glycerin + koh <= 12", 0)
        left = self.side(None)
        self.expect_end_of_side()
        compare = self.peek()
        if compare.kind == "end":
            raise self.fail("missing comparison: add <=, >= or = and a right-hand side",
                            compare.pos)
        self.advance()
        right = self.side(compare)
        self.expect_end_of_side()
        extra = self.peek()
        if extra.kind == "compare":
            raise self.fail(f"a rule has exactly one comparison, this is a second one "
                            f"({extra.text!r}); write two rules instead", extra.pos)
        return self.build(left.plus(right.scaled(-1.0)), _COMPARE[compare.text])

    def expect_end_of_side(self) -> None:
        token = self.peek()
        if token.kind in ("compare", "end"):
            return
        if token.kind == ")":
            raise self.fail("')' has no matching '('", token.pos)
        before = self.tokens[self.i - 1]
        hint = (f" (write {before.text}*{token.text} for a product)"
                if before.kind == "number" and token.kind == "name" else "")
        raise self.fail(f"missing operator between {before.text!r} and {token.text!r}{hint}",
                        token.pos)

    def build(self, expr: _Linear, op: str) -> LinearConstraint:
        coeffs = {n: c for n, c in expr.coeffs.items()
                  if abs(c) > _CANCEL * expr.scale[n]}
        if not coeffs:
            raise self.fail("the rule uses no variable: it must name at least one", 0)
        rhs = -expr.const if abs(expr.const) > _CANCEL * expr.const_scale else 0.0
        return LinearConstraint(coeffs, op, rhs + 0.0, self.text)

    def side(self, after: _Token | None) -> _Linear:
        result = self.term(after)
        while self.peek().kind == "op" and self.peek().text in "+-":
            op = self.advance()
            rhs = self.term(op)
            result = result.plus(rhs if op.text == "+" else rhs.scaled(-1.0))
        return result

    def term(self, after: _Token | None) -> _Linear:
        start = self.peek().pos
        left = self.unary(after)
        while self.peek().kind == "op" and self.peek().text == "*":
            star = self.advance()
            factor_pos = self.peek().pos
            right = self.unary(star)
            if left.coeffs and right.coeffs:
                product = self.text[start:self.tokens[self.i - 1].pos
                                    + len(self.tokens[self.i - 1].text)]
                raise self.fail(f"only linear rules are allowed: {product!r} multiplies two "
                                "variables", factor_pos)
            # One side is a constant: scale the other by it.
            left = right.scaled(left.const) if right.coeffs else left.scaled(right.const)
        return left

    def unary(self, after: _Token | None) -> _Linear:
        token = self.peek()
        if token.kind == "op" and token.text in "+-":
            self.advance()
            inner = self.unary(token)
            return inner.scaled(-1.0) if token.text == "-" else inner
        return self.atom(after)

    def atom(self, after: _Token | None) -> _Linear:
        token = self.advance()
        if token.kind == "number":
            return _Linear({}, {}, token.value, abs(token.value))
        if token.kind == "name":
            self.check_name(token)
            return _Linear({token.text: 1.0}, {token.text: 1.0})
        if token.kind == "(":
            inner = self.side(token)
            closing = self.peek()
            if closing.kind != ")":
                if closing.kind in ("compare", "end"):
                    raise self.fail("'(' is never closed", token.pos)
                self.expect_end_of_side()
            self.advance()
            return inner
        self.i -= 1
        raise self.missing_operand(token, after)

    def missing_operand(self, token: _Token, after: _Token | None) -> ConstraintSyntaxError:
        """Explain a place where a number, a name or '(' was expected but `token` came.

        `after` is the token just before (None at the very start of the rule).
        """
        opened = after is not None and after.kind == "("
        if after is not None and after.kind == "op":
            return self.fail(f"{after.text!r} has nothing after it", after.pos)
        if token.kind == ")":
            if opened:
                return self.fail("nothing inside the parentheses", after.pos)
            return self.fail("')' has no matching '('", token.pos)
        if opened and token.kind in ("compare", "end"):
            return self.fail("'(' is never closed", after.pos)
        if token.kind == "compare":
            if after is None:
                return self.fail(f"nothing on the left of {token.text!r}", token.pos)
            return self.fail(f"a rule has exactly one comparison, this is a second one "
                             f"({token.text!r}); write two rules instead", token.pos)
        if token.kind == "end":
            return self.fail(f"nothing on the right of {after.text!r}", after.pos)
        return self.fail(f"{token.text!r} has nothing before it", token.pos)

    def check_name(self, token: _Token) -> None:
        if self.names is None or token.text in self.names:
            return
        close = difflib.get_close_matches(token.text, self.names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise self.fail(f"unknown variable {token.text!r}{hint}", token.pos)
