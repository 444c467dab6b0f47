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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

from migrator.mapping.markup import (
    ConversionPool,
    ConvertedText,
    ConverterSpec,
    MarkupConverter,
    Mention,
    ReferenceConfig,
    SourceText,
)
from migrator.mapping.markup.context import UserLogin
from migrator.mapping.markup.pool import in_chunks
from migrator.mapping.markup.references import SYSTEMS
from migrator.model import Issue
from migrator.sources.spec import SourceSpec
from migrator.textspans import Span, Token, rewrite_spans

BATCH_ISSUES = 2048  # issues read ahead and converted together (memory: their texts only)
# A large export's first batch. The stream hands on a batch once the next one is read and the batch
# is converted, so the first issue waits for two batches: batches grow from this size to
# ``BATCH_ISSUES`` (at 2048 from the start, the first issue of a 40,000-issue Jira CSV waited ~2 s).
FIRST_BATCH_ISSUES = 256
# Distinct texts a batch needs to start the pool: a pool started once serves every later batch, the
# last short one too, so only exports of about a thousand issues or more (a full first batch) start it.
MIN_PARALLEL = 1000


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
        first_batch: int = FIRST_BATCH_ISSUES,
        min_parallel: int = MIN_PARALLEL,
        workers: int | None = None,
    ) -> None:
        self.source = source
        self.references = reference_config(source)
        self.mention_login = mention_login
        self.batch_issues = batch_issues
        self.first_batch = first_batch
        self.min_parallel = min_parallel
        self.workers = workers
        self._converters: dict[str, MarkupConverter] = {}
        self._ready: _Ready = {}
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

    def prefetch(self, issues: Iterable[Issue], *, large: bool = False) -> Iterator[Issue]:
        """``issues`` unchanged, with their texts converted ahead in batches — in a process pool
        once a batch has ``min_parallel`` distinct texts (small exports never start one). The
        workers convert the next batch while this process transforms the current one.

        ``large``: the export is known to be large. The pool is started before the first issue is
        read, its workers building their converters while the export's reading starts, and the
        batches grow from ``first_batch`` issues, so the first issue is handed on sooner."""
        pool = self._warm_pool() if large else None
        first = min(self.first_batch, self.batch_issues) if large else self.batch_issues
        waiting: tuple[list[Issue], Callable[[], _Ready]] | None = None
        try:
            for batch in _batches(issues, first, self.batch_issues):
                wanted = self._texts_of(batch)
                collect = _nothing_ahead
                # once started, the pool takes every batch (the export's last one is often short)
                if len(wanted) >= max(self.min_parallel, 2) or (pool is not None and wanted):
                    pool = pool or ConversionPool(self.workers, _START_METHOD)
                    collect = self._convert_ahead(wanted, pool)
                if waiting is not None:
                    yield from self._release(*waiting)
                waiting = (batch, collect)
            if waiting is not None:
                yield from self._release(*waiting)
        finally:
            self._ready = {}
            if pool is not None:
                pool.close()

    def _warm_pool(self) -> ConversionPool:
        pool = ConversionPool(self.workers, _START_METHOD)
        for markup in dict.fromkeys(self.markup_of(name) for name in ("description", "comments")):
            pool.warm(ConverterSpec.create(markup, references=self.references))
        return pool

    def _release(self, batch: list[Issue], collect: Callable[[], _Ready]) -> Iterator[Issue]:
        self._ready = collect()
        yield from batch

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

    def _convert_ahead(
        self, wanted: dict[tuple[str, str], None], pool: ConversionPool
    ) -> Callable[[], _Ready]:
        """Send the batch's texts to the pool; the returned call collects them."""
        by_markup: dict[str, list[SourceText]] = {}
        for markup, text in wanted:
            by_markup.setdefault(markup, []).append(text)
        started = [
            (
                markup,
                texts,
                pool.start(ConverterSpec.create(markup, references=self.references), in_chunks(texts)),
            )
            for markup, texts in by_markup.items()
        ]
        self.converted_ahead += len(wanted)

        def collect() -> _Ready:
            ready: _Ready = {}
            for markup, texts, results in started:
                ready.update(((markup, str(t)), r) for t, r in zip(texts, results(), strict=True))
            return ready

        return collect

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


_Ready = dict[tuple[str, str], ConvertedText]  # (markup, text) -> its conversion


def _nothing_ahead() -> _Ready:
    return {}


def _nobody(name: str) -> str | None:
    """Conversion never resolves people itself (see the module doc)."""
    return None


# Forked workers would inherit this process's threads (the embedded sandbox, progress bars) and
# open database handles; a fork server starts them from a clean process.
_START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _batches(issues: Iterable[Issue], first: int, size: int) -> Iterator[list[Issue]]:
    """Batches of ``first`` issues, then twice as many each time up to ``size``."""
    batch: list[Issue] = []
    limit = first
    for issue in issues:
        batch.append(issue)
        if len(batch) >= limit:
            yield batch
            batch = []
            limit = min(limit * 2, size)
    if batch:
        yield batch
