"""Converting many texts at once, spread over processes when there are enough of them.

Conversion is CPU-bound Python, so threads do not help; ``convert_many`` sends chunks of texts to a
process pool and returns the results in input order, identical to converting them one by one in
this process (which it does for small inputs or one worker). A worker builds each converter once;
a :class:`ConversionPool` keeps the workers (and their converters) across calls.

Mentions are resolved from ``ConverterSpec.users`` (a picklable map of source names to logins);
``render.render_text(..., users=...)`` can also resolve them later.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import repeat

from migrator.mapping.markup.converter import MarkupConverter, SourceText
from migrator.mapping.markup.references import ReferenceConfig
from migrator.mapping.markup.tokens import ConvertedText

DEFAULT_CHUNK = 256
DEFAULT_MIN_PARALLEL = 5000  # below this, starting processes costs more than it saves


@dataclass(frozen=True)
class ConverterSpec:
    """Everything a worker needs to build the converter (hashable and picklable)."""

    source_markup: str
    users: tuple[tuple[str, str], ...] = ()
    references: ReferenceConfig | None = None

    @classmethod
    def create(
        cls,
        source_markup: str,
        users: Mapping[str, str] | None = None,
        references: ReferenceConfig | None = None,
    ) -> ConverterSpec:
        return cls(source_markup, tuple(sorted((users or {}).items())), references)

    def build(self) -> MarkupConverter:
        logins = dict(self.users)
        return MarkupConverter(self.source_markup, user_login=logins.get, references=self.references)


class ConversionPool:
    """A process pool kept across :func:`convert_many` calls (a long export converted batch by
    batch): its workers are started on first use and build each converter once."""

    def __init__(self, workers: int | None = None, start_method: str | None = None) -> None:
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self._start_method = start_method
        self._executor: ProcessPoolExecutor | None = None

    def map(self, spec: ConverterSpec, chunks: list[list[SourceText]]) -> list[ConvertedText]:
        return self.start(spec, chunks)()

    def start(self, spec: ConverterSpec, chunks: list[list[SourceText]]) -> Callable[[], list[ConvertedText]]:
        """Send the chunks to the workers now; the returned call waits for the results, in order
        (the caller works meanwhile)."""
        converted = self._started().map(_convert_chunk, repeat(spec), chunks)  # submitted here
        return lambda: [result for chunk in converted for result in chunk]

    def _started(self) -> ProcessPoolExecutor:
        if self._executor is None:
            context = multiprocessing.get_context(self._start_method)
            self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        return self._executor

    def warm(self, spec: ConverterSpec) -> None:
        """Start every worker now and have it build ``spec``'s converter (its imports and grammar:
        about half a second) while this process does other work; nothing waits for it."""
        executor = self._started()
        for _ in range(self.workers):
            executor.submit(_build_converter, spec)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown()
            self._executor = None

    def __enter__(self) -> ConversionPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def convert_many(
    spec: ConverterSpec,
    texts: Iterable[SourceText],
    *,
    workers: int | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    min_parallel: int = DEFAULT_MIN_PARALLEL,
    start_method: str | None = None,
    pool: ConversionPool | None = None,
) -> list[ConvertedText]:
    """``texts`` converted, in order. ``workers`` defaults to the CPU count (or ``pool``'s); fewer
    than ``min_parallel`` texts (or one worker) are converted in this process. ``pool`` is used
    (and kept open) instead of a pool started and stopped for this call."""
    items = list(texts)
    count = workers if workers is not None else pool.workers if pool is not None else (os.cpu_count() or 1)
    if count <= 1 or len(items) < max(min_parallel, 2):
        converter = spec.build()
        return [converter.convert(text) for text in items]
    chunks = in_chunks(items, chunk_size)
    if pool is not None:
        return pool.map(spec, chunks)
    with ConversionPool(min(count, len(chunks)), start_method) as own:
        return own.map(spec, chunks)


def in_chunks(items: list[SourceText], chunk_size: int = DEFAULT_CHUNK) -> list[list[SourceText]]:
    size = max(1, chunk_size)
    return [items[start : start + size] for start in range(0, len(items), size)]


def _convert_chunk(spec: ConverterSpec, texts: list[SourceText]) -> list[ConvertedText]:
    converter = _converter(spec)
    return [converter.convert(text) for text in texts]


def _build_converter(spec: ConverterSpec) -> None:
    """A worker's warm-up: its converter is built and cached, nothing is sent back."""
    _converter(spec)


@functools.lru_cache(maxsize=8)
def _converter(spec: ConverterSpec) -> MarkupConverter:
    """One converter per spec in each worker process (grammars are costly to build)."""
    return spec.build()
