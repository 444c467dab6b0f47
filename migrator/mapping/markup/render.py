"""The final text of a conversion, once target keys and attachment ids are known.

:func:`render_text` lives in :mod:`migrator.textspans` (the executor renders stored texts at send
time and may not import the mapping stage); see that module for what each pointer becomes.
"""

from __future__ import annotations

from migrator.textspans import ATTACHMENT_URL, SPAN_LOSSY, RenderedText, attachment_url, render_text

__all__ = ["ATTACHMENT_URL", "SPAN_LOSSY", "RenderedText", "attachment_url", "render_text"]
