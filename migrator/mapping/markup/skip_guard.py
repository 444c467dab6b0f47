"""Faster ``SkipTo`` for the Jira grammar, with the same matches.

pyparsing's ``SkipTo`` tries its fail-on expression, its ignore expressions and its target at every
character it skips; in jira2markdown's lists, tables and text effects that is most of the
conversion time. At a character where none of those expressions can *start*, all three fail, so the
loop only moves on by one. :func:`guard_skips` finds every ``SkipTo`` of a built grammar whose
expressions have a known set of first characters (their FIRST set) and makes it jump straight to
the next character that could start one (or the end of the text, where ``StringEnd``/``LineEnd``
match). Its ignored expressions are tried only where one of them can start (elsewhere they match
nothing). A ``SkipTo`` whose FIRST set cannot be worked out is left as it is.
"""

from __future__ import annotations

import re
from typing import Any

from pyparsing import And as AndExpr
from pyparsing import (
    CaselessLiteral,
    Char,
    Empty,
    FollowedBy,
    Forward,
    LineEnd,
    LineStart,
    Literal,
    MatchFirst,
    NotAny,
    Opt,
    Or,
    ParseBaseException,
    ParseException,
    ParseExpression,
    ParserElement,
    ParseResults,
    PrecededBy,
    QuotedString,
    SkipTo,
    StringEnd,
    StringStart,
    White,
    Word,
    ZeroOrMore,
)
from pyparsing import Each as EachExpr
from pyparsing.core import ParseElementEnhance

First = tuple[frozenset[str], bool]  # (characters a match can start with, whether it can match empty)
_ZERO_WIDTH = (StringStart, LineStart, PrecededBy, FollowedBy, NotAny, Empty)


def first_set(expr: ParserElement, seen: frozenset[int] = frozenset()) -> First | None:
    """The FIRST set of ``expr``, or None when it cannot be worked out (then no guard is used)."""
    if id(expr) in seen:
        return None
    seen = seen | {id(expr)}
    chars = getattr(expr, "FIRST_CHARS", None)
    if isinstance(chars, str):
        return frozenset(chars), False
    if isinstance(expr, CaselessLiteral):
        head = str(expr.match)[:1]
        return frozenset({head.lower(), head.upper()}), not head
    if isinstance(expr, Literal):
        head = str(expr.match)[:1]
        return frozenset({head}), not head
    if isinstance(expr, QuotedString):
        quote = str(getattr(expr, "quote_char", "") or getattr(expr, "quoteChar", ""))
        return (frozenset(quote[:1]), False) if quote else None
    if isinstance(expr, (Char, Word)):
        return frozenset(expr.initChars), False
    if isinstance(expr, White):
        return frozenset(expr.matchWhite), False
    if isinstance(expr, LineEnd):
        return frozenset("\n"), False
    if isinstance(expr, StringEnd):  # matches only at the end, which is always tried
        return frozenset(), False
    if isinstance(expr, _ZERO_WIDTH):
        return frozenset(), True
    if isinstance(expr, SkipTo) or isinstance(expr, Forward):
        return None
    if isinstance(expr, (Opt, ZeroOrMore)):
        inner = first_set(expr.expr, seen)
        return None if inner is None else (inner[0], True)
    if isinstance(expr, ParseElementEnhance):
        return first_set(expr.expr, seen) if expr.expr is not None else None
    if isinstance(expr, AndExpr):
        return _sequence(expr.exprs, seen)
    if isinstance(expr, (MatchFirst, Or, EachExpr)):
        return _alternatives(expr.exprs, seen)
    return None


def _sequence(exprs: list[ParserElement], seen: frozenset[int]) -> First | None:
    chars: set[str] = set()
    for part in exprs:
        found = first_set(part, seen)
        if found is None:
            return None
        chars |= found[0]
        if not found[1]:
            return frozenset(chars), False
    return frozenset(chars), True


def _alternatives(exprs: list[ParserElement], seen: frozenset[int]) -> First | None:
    chars: set[str] = set()
    nullable = False
    for part in exprs:
        found = first_set(part, seen)
        if found is None:
            return None
        chars |= found[0]
        nullable = nullable or found[1]
    return frozenset(chars), nullable


class GuardedSkipTo(SkipTo):
    """``SkipTo`` that jumps over characters where nothing it tries can start (see the module doc)."""

    candidates: re.Pattern[str]
    ignore_first: frozenset[str]  # where an ignored expression can start (elsewhere it matches nothing)

    def parseImpl(self, instring: str, loc: int, do_actions: bool = True) -> tuple[int, ParseResults]:  # noqa: N802
        startloc = loc
        instrlen = len(instring)
        expr_parse = self.expr._parse
        fail_on = self.failOn.can_parse_next if self.failOn is not None else None
        ignorer_try_parse = self.ignorer.try_parse if self.ignorer.ignoreExprs else None
        ignore_first = self.ignore_first
        search = self.candidates.search
        tmploc = loc
        while tmploc <= instrlen:
            if fail_on is not None and fail_on(instring, tmploc):
                break
            if ignorer_try_parse is not None and instring[tmploc : tmploc + 1] in ignore_first:
                previous = tmploc
                while True:
                    try:
                        tmploc = ignorer_try_parse(instring, tmploc)
                    except ParseBaseException:
                        break
                    if tmploc == previous:
                        break
                    previous = tmploc
            try:
                expr_parse(instring, tmploc, do_actions=False, callPreParse=False)
            except (ParseException, IndexError):
                found = search(instring, tmploc + 1)
                tmploc = found.start() if found is not None else max(instrlen, tmploc + 1)
            else:
                break
        else:
            raise ParseException(instring, loc, self.errmsg, self)
        loc = tmploc
        skipresult = ParseResults(instring[startloc:loc])
        if self.includeMatch:
            loc, matched = expr_parse(instring, loc, do_actions, callPreParse=False)
            skipresult += matched
        return loc, skipresult


def guard_skips(root: ParserElement) -> int:
    """Turn every guardable ``SkipTo`` reachable from ``root`` into a :class:`GuardedSkipTo`
    (in place). Returns how many were guarded."""
    guarded = 0
    stack: list[Any] = [root]
    seen: set[int] = set()
    while stack:
        expr = stack.pop()
        if not isinstance(expr, ParserElement) or id(expr) in seen:
            continue
        seen.add(id(expr))
        stack.extend(_children(expr))
        if type(expr) is SkipTo and _guard(expr):
            guarded += 1
    return guarded


def _children(expr: ParserElement) -> list[Any]:
    children: list[Any] = list(getattr(expr, "ignoreExprs", []))
    if isinstance(expr, ParseExpression):
        children.extend(expr.exprs)
    elif isinstance(expr, ParseElementEnhance):
        children.append(expr.expr)
    if isinstance(expr, SkipTo):
        children.extend([expr.ignoreExpr, expr.failOn])
    return children


def _guard(skip: SkipTo) -> bool:
    parts = [skip.expr, *skip.ignorer.ignoreExprs]
    if skip.failOn is not None:
        parts.append(skip.failOn)
    chars: set[str] = set()
    ignore_first: set[str] = set()
    for part in parts:
        found = first_set(part)
        if found is None or found[1]:
            return False
        chars |= found[0]
        if any(part is ignored for ignored in skip.ignorer.ignoreExprs):
            # tried with its pre-parse, an ignored expression may start on blanks it skips
            ignore_first |= found[0] | (set(part.whiteChars) if part.skipWhitespace else set())
    skip.__class__ = GuardedSkipTo
    guarded: Any = skip
    guarded.ignore_first = frozenset(ignore_first)
    guarded.candidates = re.compile(
        "[" + "".join(re.escape(c) for c in sorted(chars)) + "]" if chars else "(?!)"
    )
    return True
