"""Text markup → YFM (Yandex Flavored Markdown, what Tracker renders with ``markupType: md``).

One module per source markup — ``plain``, ``jira`` (wiki), ``adf`` (Jira Cloud's Atlassian Document
Format), ``html`` (Jira rendered fields, Asana, Azure DevOps, ClickUp…), ``textile`` (Redmine),
``markdown`` (GitHub/GitLab) — and ``yfm`` passed through. ``MarkupConverter(markup,
user_login=...).convert(text)`` gives a :class:`ConvertedText`: the YFM, the lossy constructs, and
spans for issue references, embedded files and mentions, which :func:`render_text` resolves once
Tracker keys and attachment ids are known. ``convert_many`` converts many texts in a process pool.
"""

from migrator.mapping.markup.converter import MARKUPS, MarkupConverter, SourceText, convert, normalise
from migrator.mapping.markup.plain import escape_plain
from migrator.mapping.markup.pool import ConversionPool, ConverterSpec, convert_many
from migrator.mapping.markup.references import STYLES, SYSTEMS, ReferenceConfig
from migrator.mapping.markup.render import RenderedText, attachment_url, render_text
from migrator.mapping.markup.tokens import ConvertedText, FileRef, IssueRef, Mention, Span

__all__ = [
    "MARKUPS",
    "STYLES",
    "SYSTEMS",
    "ConversionPool",
    "ConvertedText",
    "ConverterSpec",
    "FileRef",
    "IssueRef",
    "MarkupConverter",
    "Mention",
    "ReferenceConfig",
    "RenderedText",
    "SourceText",
    "Span",
    "attachment_url",
    "convert",
    "convert_many",
    "escape_plain",
    "normalise",
    "render_text",
]
