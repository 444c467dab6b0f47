"""The mapping pass's texts: each field's source markup → YFM with its pointers kept as spans.

:class:`TextConversions` converts descriptions and comments with the markup the mapping names for
each field (``source.markup``, one for all or per field) and the reference syntaxes of the source
(``source.system``, ``source.base_url``, ``source.references``). Mentions are resolved here, once,
through the user mapping (``@login`` for a mapped person; an unmapped one pings nobody), so the
spans handed on only wait for what the import decides: Tracker keys and attachment ids.

Large exports are converted ahead, batch by batch, in a process pool (``prefetch``): the results are
the same as converting one by one — every text is converted without the user map and mentions are
resolved afterwards in this process, whichever path converted it.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator
from dataclasses import replace

from migrator.mapping.markup import (
    ConversionPool,
    ConvertedText,
    ConverterSpec,
    MarkupConverter,
    Mention,
    ReferenceConfig,
    convert_many,
)
from migrator.mapping.markup.context import UserLogin
from migrator.mapping.markup.pool import DEFAULT_MIN_PARALLEL
from migrator.mapping.markup.references import SYSTEMS
from migrator.model import Issue
from migrator.sources.spec import SourceSpec
from migrator.textspans import Span, Token, rewrite_spans

BATCH_ISSUES = 2048  # issues read ahead and converted together (memory: their texts only)


def reference_config(source: SourceSpec) -> ReferenceConfig:
    """The references the export's texts hold: the usual syntaxes of ``source.system`` unless
    ``source.references.styles`` says otherwise; without ``project_keys`` any ``KEY-N`` is a
    candidate (the rendering keeps only the export's own projects)."""
    refs = source.references
    system = source.system if source.system in SYSTEMS else "generic"
    config = ReferenceConfig.for_system(
        system,
        base_url=source.base_url,
        project_keys=refs.project_keys,
        styles=frozenset(refs.styles) if refs.styles is not None else None,
        any_project_key=not refs.project_keys,
    )
    return replace(config, repository=refs.repository) if refs.repository else config


def text_field(field_name: str) -> str:
    """The ``source.markup`` field a transform field path belongs to (``comments[3].text`` → comments)."""
    return "description" if field_name == "description" else "comments"


class TextConversions:
    """Converts the texts of one export; ``prefetch`` wraps the issue stream to convert ahead."""

    def __init__(
        self,
        source: SourceSpec,
        mention_login: UserLogin,
        *,
        batch_issues: int = BATCH_ISSUES,
        min_parallel: int = DEFAULT_MIN_PARALLEL,
        workers: int | None = None,
    ) -> None:
        self.source = source
        self.references = reference_config(source)
        self.mention_login = mention_login
        self.batch_issues = batch_issues
        self.min_parallel = min_parallel
        self.workers = workers
        self._converters: dict[str, MarkupConverter] = {}
        self._ready: dict[tuple[str, str], ConvertedText] = {}
        self.converted_ahead = 0  # texts converted in the pool so far (for benchmarks and tests)

    def markup_of(self, field_name: str) -> str:
        return self.source.markup_of(text_field(field_name))

    def convert(self, text: str, field_name: str) -> ConvertedText:
        """``text`` of ``field_name`` (``description``, ``comments[3].text``) as YFM with spans."""
        markup = self.markup_of(field_name)
        converted = self._ready.get((markup, text))
        if converted is None:
            converted = self._converter(markup).convert(text)
        return self._with_logins(converted)

    def prefetch(self, issues: Iterable[Issue]) -> Iterator[Issue]:
        """``issues`` unchanged, with their texts converted ahead in batches — in a process pool
        once a batch has ``min_parallel`` distinct texts (small exports never start one)."""
        pool: ConversionPool | None = None
        try:
            for batch in _batches(issues, self.batch_issues):
                wanted = self._texts_of(batch)
                self._ready = {}
                if len(wanted) >= max(self.min_parallel, 2):
                    pool = pool or ConversionPool(self.workers, _START_METHOD)
                    self._convert_ahead(wanted, pool)
                yield from batch
        finally:
            self._ready = {}
            if pool is not None:
                pool.close()

    def _texts_of(self, batch: list[Issue]) -> dict[tuple[str, str], None]:
        wanted: dict[tuple[str, str], None] = {}
        description, comments = self.source.markup_of("description"), self.source.markup_of("comments")
        for issue in batch:
            if issue.description:
                wanted[(description, issue.description)] = None
            for comment in issue.comments:
                if comment.text:
                    wanted[(comments, comment.text)] = None
        return wanted

    def _convert_ahead(self, wanted: dict[tuple[str, str], None], pool: ConversionPool) -> None:
        by_markup: dict[str, list[str]] = {}
        for markup, text in wanted:
            by_markup.setdefault(markup, []).append(text)
        for markup, texts in by_markup.items():
            spec = ConverterSpec.create(markup, references=self.references)
            results = convert_many(spec, texts, pool=pool, min_parallel=0)
            self._ready.update(((markup, text), result) for text, result in zip(texts, results, strict=True))
            self.converted_ahead += len(texts)

    def _converter(self, markup: str) -> MarkupConverter:
        if markup not in self._converters:
            self._converters[markup] = MarkupConverter(markup, user_login=_nobody, references=self.references)
        return self._converters[markup]

    def _with_logins(self, converted: ConvertedText) -> ConvertedText:
        """Mentions resolved through the user mapping (conversion ran without it)."""
        if not any(isinstance(span.token, Mention) for span in converted.spans):
            return converted
        return rewrite_spans(converted, self._mention)

    def _mention(self, span: Span) -> Token:
        token = span.token
        if not isinstance(token, Mention) or token.login:
            return token
        return replace(token, login=self.mention_login(token.name) if token.name else None)


def _nobody(name: str) -> str | None:
    """Conversion never resolves people itself (see the module doc)."""
    return None


# Forked workers would inherit this process's threads (the embedded sandbox, progress bars) and
# open database handles; a fork server starts them from a clean process.
_START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _batches(issues: Iterable[Issue], size: int) -> Iterator[list[Issue]]:
    batch: list[Issue] = []
    for issue in issues:
        batch.append(issue)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
