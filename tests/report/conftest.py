"""Fixtures for the report writer tests; the sample data lives in report_samples.py."""

from __future__ import annotations

import pytest

from migrator.results import ValidationResult

from .report_samples import make_result


@pytest.fixture
def result() -> ValidationResult:
    return make_result()
