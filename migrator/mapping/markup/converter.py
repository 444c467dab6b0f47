"""``MarkupConverter``: one source markup → YFM, text after text, with the crash fallback.

Each source markup has its converter module; this one picks it, normalises line ends, takes the
fast path for texts with nothing to convert, turns the converter's markers into spans and — when a
converter raises — keeps the text as escaped plain text (``converter_failed``): never lost.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from migrator.mapping.markup.context import ConversionContext, UserLogin, can_mark, finish
from migrator.mapping.markup.plain import convert_plain, escape_plain
from migrator.mapping.markup.plain import nothing_to_convert as plain_nothing_to_convert
from migrator.mapping.markup.references import ReferenceConfig, ReferenceFinder
from migrator.mapping.markup.tokens import ConvertedText
from migrator.mapping.markup.yfm import tidy

log = logging.getLogger(__name__)

SourceText = str | Mapping[str, Any]  # ADF comes as a JSON string or an already-parsed document
Convert = Callable[[Any, ConversionContext], str]
NothingToConvert = Callable[[str], bool]

_DIGIT_RE = re.compile(r"\d")


def _always(text: str) -> bool:
    return True


def _never(text: str) -> bool:
    return False


# Each converter module is imported by its factory, when a MarkupConverter for it is built — not
# with this module: the markup stack (pyparsing and jira2markdown, bs4/markdownify, nh3, textile)
# takes ~0.2 s to import, and ``validate --help``, ``run``'s start-up reads and the checkpoint lock
# need only the names below. Each factory returns the converter and its fast-path test.
Registered = tuple[Convert, NothingToConvert]


def _plain() -> Registered:
    return convert_plain, plain_nothing_to_convert


def _jira() -> Registered:
    from migrator.mapping.markup import jira

    return jira.JiraGrammar().convert, jira.nothing_to_convert


def _adf() -> Registered:
    from migrator.mapping.markup import adf

    return adf.convert_adf, _never


def _html() -> Registered:
    from migrator.mapping.markup import html

    return html.HtmlConverter().convert, _never  # markdownify also normalises white space


def _textile() -> Registered:
    from migrator.mapping.markup import textile

    return textile.TextileConverter().convert, _never


def _markdown() -> Registered:
    from migrator.mapping.markup import markdown

    return markdown.MarkdownConverter().convert, markdown.nothing_to_convert


def _yfm() -> Registered:
    return _as_is, _always


def _as_is(text: str, ctx: ConversionContext) -> str:
    return text


# source markup -> the factory of its converter and fast-path test, called once per MarkupConverter
_CONVERTERS: dict[str, Callable[[], Registered]] = {
    "plain": _plain,
    "jira": _jira,
    "adf": _adf,
    "html": _html,
    "textile": _textile,
    "markdown": _markdown,
    "yfm": _yfm,
}
MARKUPS = tuple(_CONVERTERS)


class MarkupConverter:
    """Converts texts of one source markup to YFM; reuse one instance for many texts (grammars are
    built once). Not thread-safe: one per worker. ``fast_path=False`` is for proving the fast path."""

    def __init__(
        self,
        source_markup: str,
        *,
        user_login: UserLogin,
        references: ReferenceConfig | None = None,
        fast_path: bool = True,
    ) -> None:
        factory = _CONVERTERS.get(source_markup)
        if factory is None:
            raise ValueError(f"unknown source markup {source_markup!r} (one of {', '.join(MARKUPS)})")
        self.source_markup = source_markup
        self.user_login = user_login
        self.references = references or ReferenceConfig()
        self._refs = ReferenceFinder(self.references) if self.references.active else None
        self._converter, nothing_to_convert = factory()
        self._nothing_to_convert = nothing_to_convert if fast_path else _never

    def convert(self, text: SourceText) -> ConvertedText:
        if isinstance(text, str) and not text.strip():
            return ConvertedText("")  # an empty field (even of an ADF export) is no text, not a failure
        if isinstance(text, str):
            text = normalise(text)
            if not text.strip():  # nothing written (an issue without description): nothing to parse
                return ConvertedText("")
            if self._nothing_to_convert(text) and (self._refs is None or not _DIGIT_RE.search(text)):
                return ConvertedText(tidy(text))
        ctx = ConversionContext(
            self.user_login, self._refs, marking=not isinstance(text, str) or can_mark(text)
        )
        try:
            out = self._converter(text, ctx)
        except Exception as exc:  # a converter bug must never lose text: fall back to escaped plain text
            log.warning(
                "%s markup conversion failed (%s: %s); the text is kept as plain text",
                self.source_markup,
                type(exc).__name__,
                exc,
            )
            log.debug("markup conversion failure", exc_info=True)
            return ConvertedText(escape_plain(_as_text(text)), ["converter_failed"])
        return finish(tidy(out), ctx)


def convert(
    text: SourceText,
    source_markup: str,
    *,
    user_login: UserLogin,
    references: ReferenceConfig | None = None,
) -> ConvertedText:
    """Convert ``text`` written in ``source_markup`` to YFM. For many texts use one :class:`MarkupConverter`."""
    return MarkupConverter(source_markup, user_login=user_login, references=references).convert(text)


def normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _as_text(text: SourceText) -> str:
    return normalise(text if isinstance(text, str) else json.dumps(text, ensure_ascii=False, indent=1))
