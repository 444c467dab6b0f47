"""A shortcut for jira2markdown's text effects (``*bold*``, ``_em_``, ``+ins+``, ``??cite??``, ``^sup^``,
``-del-``) in their simple, common form; everything else goes to the pyparsing grammar.

A text effect is jira2markdown's ``QuotedElement``::

    (StringStart | PrecededBy(\\W)) + Combine(ELEMENT + Optional(~ELEMENT, default=" "))
    ELEMENT = TOKEN + ~White & ~Char(TOKEN) + SkipTo(TOKEN, ignore=White+TOKEN | <others>, fail_on="\\n")
              + TOKEN + FollowedBy(\\W | StringEnd)

When the text between the opening token and the first next token holds no newline and no
character that could start an ignored expression, the token right after it is not preceded by
blank space, the closing token is followed by a non-word character (or the end) that is not the
token's first character, and the opening token is preceded by a non-word character (or the
start), the grammar's match is exactly that span: the shortcut returns the same result without
pyparsing. Any other case is handed to the grammar unchanged. Proved equal on the pinned corpus and
by property tests against pyparsing's full scan.
"""

from __future__ import annotations

import re

from jira2markdown.markup.text_effects import QuotedElement
from pyparsing import ParserElement, ParseResults

from migrator.mapping.markup.skip_guard import first_set

_NON_WORD = re.compile(r"\W")


class QuotedShortcut(ParserElement):
    def __init__(self, element: QuotedElement, grammar: ParserElement, stop_chars: frozenset[str]) -> None:
        super().__init__()
        self.element = element
        self.grammar = grammar
        self.token: str = element.TOKEN
        self.stop_chars = stop_chars | frozenset("\n")
        self.mayReturnEmpty = False
        self.mayIndexError = False

    def _generateDefaultName(self) -> str:  # noqa: N802
        return f"shortcut({self.grammar})"

    def parseImpl(  # noqa: N802
        self, instring: str, loc: int, do_actions: bool = True
    ) -> tuple[int, ParseResults | list[str]]:
        if do_actions:
            simple = self._simple(instring, loc)
            if simple is not None:
                end, inner = simple
                return end, [str(self.element.action(ParseResults([inner])))]
        return self.grammar._parse(instring, loc, do_actions, callPreParse=False)

    def _simple(self, text: str, loc: int) -> tuple[int, str] | None:
        token = self.token
        size = len(token)
        if not text.startswith(token, loc):
            return None
        if loc > 0 and not _NON_WORD.match(text, loc - 1):
            return None
        start = loc + size
        if start >= len(text) or text[start].isspace() or text[start] in token:
            return None
        close = text.find(token, start)
        if close < 0:
            return None
        inner = text[start:close]
        if any(char in self.stop_chars for char in inner) or text[close - 1] in " \t\r\n":
            return None
        end = close + size
        if end < len(text) and (not _NON_WORD.match(text, end) or text[end] == token[0]):
            return None
        return end, inner


def quoted_shortcut(element: QuotedElement, grammar: ParserElement) -> ParserElement | None:
    """The shortcut for a text-effect element, or None when its ignored expressions cannot be
    characterised by their first characters."""
    found = first_set(element.get_ignore_expr())
    if found is None or found[1] or len(element.TOKEN) not in (1, 2):
        return None
    return QuotedShortcut(element, grammar, found[0])
