"""The Jira converter gives, byte for byte, what the single-module converter it replaced gave.

``tests/fixtures/markup/jira_corpus.json`` was pinned from that converter (revision in the file) by
``benchmarks/pin_markup_corpus.py`` before the speed work: the texts ``bench_validate.py`` generates,
the acceptance and pitfall inputs, and seeded random Jira texts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from migrator.mapping.markup import MarkupConverter

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "markup" / "jira_corpus.json"


@pytest.fixture(scope="module")
def corpus() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CORPUS.read_text(encoding="utf-8"))
    return data


def test_the_corpus_is_the_pinned_one(corpus: dict[str, Any]) -> None:
    assert corpus["baseline"] == "35139cd"
    assert len(corpus["cases"]) > 400


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast-path", "full-conversion"])
def test_every_corpus_text_converts_exactly_as_before(corpus: dict[str, Any], fast_path: bool) -> None:
    converter = MarkupConverter("jira", user_login=corpus["users"].get, fast_path=fast_path)
    different = [
        case["text"]
        for case in corpus["cases"]
        if (lambda result: (result.text, result.lossy) != (case["yfm"], case["lossy"]))(
            converter.convert(case["text"])
        )
    ]
    assert different == []
