"""Tests of ``migrator/execution/``."""
