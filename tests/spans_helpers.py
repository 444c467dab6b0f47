"""Texts with spans written by hand, for the tests of rendering and of the executor's texts."""

from __future__ import annotations

from migrator.textspans import TEXT, ConvertedText, Span, Token


def spanned(template: str, *tokens: Token | tuple[Token, str]) -> ConvertedText:
    """``template`` whose ``{}`` places hold the tokens' default renderings, spanned (a token may
    come with its context: ``(ref, LINK_TARGET)``)."""
    parts = template.split("{}")
    assert len(parts) == len(tokens) + 1, "one token per {} place"
    out, spans = parts[0], []
    for item, part in zip(tokens, parts[1:], strict=True):
        token, context = item if isinstance(item, tuple) else (item, TEXT)
        rendered = token.default()
        spans.append(Span(len(out), len(out) + len(rendered), token, context))
        out += rendered + part
    return ConvertedText(out, [], tuple(spans))
