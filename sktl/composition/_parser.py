"""A small chemical-formula parser: counts of each element symbol in a formula string."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from functools import lru_cache

_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = set(_OPEN.values())
_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")
_SYMBOL = re.compile(r"[A-Z][a-z]*")
# Hydrate separators: the middle dot and its look-alikes, "*", and a "." that is not a decimal
# point. A "." between digits is a decimal point ("Fe0.5O"), except in front of an integer
# count of water ("CuSO4.5H2O" = CuSO4 + 5 H2O).
_DOTS = re.compile(r"[\u00b7\u2022\u2219\u22c5\u30fb*]")
_HYDRATE_DOT = re.compile(r"\.(?=\d+H2O)|\.(?!\d)")


class FormulaError(ValueError):
    """A formula that cannot be parsed; ``symbol`` is set when an element is unknown."""

    def __init__(self, message: str, symbol: str | None = None):
        super().__init__(message)
        self.symbol = symbol


def _ascii(formula: str) -> str:
    """``formula`` with NFKC's ASCII forms of its characters (full-width, subscript ...).

    Only a character whose NFKC form is ASCII and of its own kind is accepted: letters for
    letters, digits for digits, punctuation for punctuation. A Roman numeral (Ⅲ -> "III") or a
    symbol (™ -> "TM") would turn into element symbols, and a look-alike from another script
    (a Greek or Cyrillic "O") has no ASCII form: each is an error naming it.
    """
    if formula.isascii():
        return formula
    for i, c in enumerate(formula):
        if c.isascii() or _DOTS.fullmatch(c) or c.isspace():
            continue
        form = unicodedata.normalize("NFKC", c)
        category = unicodedata.category(c)
        if form.isascii() and form and category[0] in "LNPZ" and category != "Nl":
            continue
        name = unicodedata.name(c, f"U+{ord(c):04X}")
        raise FormulaError(
            f"non-ASCII character {c!r} ({name}) at position {i}: a formula takes Latin "
            "element symbols, digits and brackets, so retype that character in ASCII"
        )
    return unicodedata.normalize("NFKC", formula)


def _number(s: str, i: int) -> tuple[float, int]:
    m = _NUMBER.match(s, i)
    if m is None:
        return 1.0, i
    return float(m.group()), m.end()


def _parse_unit(s: str, known: frozenset[str]) -> dict[str, float]:
    stack: list[tuple[str, dict]] = [("", defaultdict(float))]
    i = 0
    while i < len(s):
        c = s[i]
        if c in _OPEN:
            stack.append((c, defaultdict(float)))
            i += 1
        elif c in _CLOSE:
            opener, group = stack.pop() if len(stack) > 1 else ("", None)
            if group is None or _OPEN[opener] != c:
                raise FormulaError(f"unbalanced {c!r} at position {i}")
            n, i = _number(s, i + 1)
            for el, v in group.items():
                stack[-1][1][el] += v * n
        elif c.isupper():
            m = _SYMBOL.match(s, i)
            sym = m.group()
            if sym not in known:
                raise FormulaError(f"unknown element symbol {sym!r}", symbol=sym)
            n, i = _number(s, m.end())
            stack[-1][1][sym] += n
        else:
            raise FormulaError(f"unexpected character {c!r} at position {i}")
    if len(stack) > 1:
        raise FormulaError(f"unclosed {stack[-1][0]!r}")
    return stack[0][1]


@lru_cache(maxsize=1_000_000)
def parse_formula(formula: str, known: frozenset[str]) -> tuple[tuple[str, float], ...]:
    """Element counts of ``formula`` as ``((symbol, count), ...)`` in order of appearance.

    Parentheses, brackets and braces nest; counts may be decimal; hydrates are joined by a
    middle dot, "*", or "." ("CuSO4·5H2O", "CuSO4.5H2O", "Na2CO3.H2O"), each part with an
    optional leading multiplier. Whitespace is ignored. Unicode compatibility forms (NFKC:
    full-width letters and digits, subscript and superscript digits) become their ASCII
    letters and digits; any other non-ASCII character (a Greek omicron or a Cyrillic letter
    that looks like a Latin one, a Roman numeral) is an error that names it and its position.
    """
    s = "".join(_ascii(formula).split())
    if not s:
        raise FormulaError("empty formula")
    s = _HYDRATE_DOT.sub("\u00b7", _DOTS.sub("\u00b7", s))
    total: dict[str, float] = defaultdict(float)
    for part in s.split("\u00b7"):
        if not part:
            raise FormulaError("empty part around a hydrate dot")
        mult, start = _number(part, 0)
        if start == len(part):
            raise FormulaError(f"multiplier {part!r} without a formula")
        for el, v in _parse_unit(part[start:], known).items():
            total[el] += mult * v
    if not math.isfinite(sum(total.values())):
        raise FormulaError("a count is too large to represent")
    if sum(total.values()) <= 0:
        raise FormulaError("the formula has no atoms (all counts are zero)")
    return tuple(total.items())
