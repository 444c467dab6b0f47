"""GuardedSkipTo jumps over characters where nothing can start, and matches exactly as SkipTo does."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st
from pyparsing import (
    CaselessLiteral,
    Char,
    LineEnd,
    Literal,
    Optional,
    ParseException,
    ParserElement,
    QuotedString,
    Regex,
    SkipTo,
    StringEnd,
    White,
    Word,
)

from migrator.mapping.markup.skip_guard import GuardedSkipTo, first_set, guard_skips


def test_first_sets() -> None:
    assert first_set(Literal("{code}")) == (frozenset("{"), False)
    assert first_set(CaselessLiteral("accountid:")) == (frozenset("aA"), False)
    assert first_set(Word("h", "123456")) == (frozenset("h"), False)
    assert first_set(Optional(Char("*")) + Literal("x")) == (frozenset("*x"), False)
    assert first_set(LineEnd() | StringEnd()) == (frozenset("\n"), False)
    assert first_set(QuotedString("{quote}")) == (frozenset("{"), False)
    assert first_set(Optional(Literal("a"))) == (frozenset("a"), True)
    assert first_set(Regex("[ab]")) is None  # unknown: such a SkipTo keeps pyparsing's loop


def test_guard_skips_turns_guardable_skiptos_in_place() -> None:
    guardable = SkipTo(Literal("*"), ignore=White() + Literal("*"), fail_on="\n")
    unknown = SkipTo(Regex("[*]"))
    grammar = Literal("*") + guardable + Literal("*") | Literal("!") + unknown
    assert guard_skips(grammar) == 1
    assert type(guardable) is GuardedSkipTo
    assert type(unknown) is SkipTo


def _both(make: ParserElement) -> tuple[ParserElement, ParserElement]:
    stock = copy.deepcopy(make)
    guarded = copy.deepcopy(make)
    assert guard_skips(guarded) >= 1
    return stock, guarded


GRAMMARS = [
    Literal("*") + SkipTo(Literal("*"), ignore=White() + Literal("*"), fail_on="\n") + Literal("*"),
    SkipTo(LineEnd() | StringEnd()),
    SkipTo(Literal("|") | LineEnd(), ignore=Literal("[") + SkipTo("]") + Literal("]")),
    SkipTo(Literal("{x}"), include=True),
]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab *|[]{}x\n", max_size=30), st.integers(0, 3), st.integers(0, 5))
def test_guarded_and_stock_skipto_match_alike(text: str, which: int, start: int) -> None:
    stock, guarded = _both(GRAMMARS[which])
    loc = min(start, len(text))

    def run(expr: ParserElement) -> object:
        try:
            end, tokens = expr._parse(text, loc, callPreParse=False)
        except ParseException:
            return "no match"
        return end, tokens.as_list()

    assert run(guarded) == run(stock)
