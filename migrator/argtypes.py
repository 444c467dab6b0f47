"""argparse ``type=`` functions for numeric flags: a bad value (``--workers 0``, ``--max-rps -5``,
``--max-rps nan``) is refused while the command line is parsed — argparse prints the usage and
one line naming the flag, and exits with code 2 — instead of failing later with a traceback."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from migrator.limits import parse_cli_limit


def _number(text: str, kind: type[int] | type[float]) -> float:
    try:
        value = float(kind(text))
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not {'a whole number' if kind is int else 'a number'}"
        ) from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _bounded(
    kind: type[int] | type[float], low: float, high: float | None, what: str
) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = _number(text, kind)
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return kind(value)

    return parse


positive_int = _bounded(int, 1, None, "a whole number of at least 1")
non_negative_int = _bounded(int, 0, None, "a whole number of at least 0")
port = _bounded(int, 0, 65535, "a port number from 0 to 65535")
non_negative_float = _bounded(float, 0, None, "a number of at least 0")
fraction = _bounded(float, 0, 1, "a share from 0 to 1")


def positive_float(text: str) -> float:
    value = _number(text, float)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number above 0, got {text!r}")
    return value


def limit(text: str) -> tuple[str, float]:
    """``--limit NAME=VALUE`` (see migrator/limits.py)."""
    try:
        return parse_cli_limit(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
