"""Converting many texts at once, spread over processes when there are enough of them.

Conversion is CPU-bound Python, so threads do not help; ``convert_many`` sends chunks of texts to a
process pool and returns the results in input order, identical to converting them one by one in
this process (which it does for small inputs or one worker). A worker builds each converter once.

Mentions are resolved from ``ConverterSpec.users`` (a picklable map of source names to logins);
``render.render_text(..., users=...)`` can also resolve them later.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections.abc import Iterable, Mapping
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


def convert_many(
    spec: ConverterSpec,
    texts: Iterable[SourceText],
    *,
    workers: int | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    min_parallel: int = DEFAULT_MIN_PARALLEL,
    start_method: str | None = None,
) -> list[ConvertedText]:
    """``texts`` converted, in order. ``workers`` defaults to the CPU count; fewer than
    ``min_parallel`` texts (or one worker) are converted in this process."""
    items = list(texts)
    count = workers if workers is not None else (os.cpu_count() or 1)
    if count <= 1 or len(items) < max(min_parallel, 2):
        converter = spec.build()
        return [converter.convert(text) for text in items]
    size = max(1, chunk_size)
    chunks = [items[start : start + size] for start in range(0, len(items), size)]
    context = multiprocessing.get_context(start_method)
    with ProcessPoolExecutor(max_workers=min(count, len(chunks)), mp_context=context) as pool:
        converted = pool.map(_convert_chunk, repeat(spec), chunks)
        return [result for chunk in converted for result in chunk]


def _convert_chunk(spec: ConverterSpec, texts: list[SourceText]) -> list[ConvertedText]:
    converter = _converter(spec)
    return [converter.convert(text) for text in texts]


@functools.lru_cache(maxsize=8)
def _converter(spec: ConverterSpec) -> MarkupConverter:
    """One converter per spec in each worker process (grammars are costly to build)."""
    return spec.build()
