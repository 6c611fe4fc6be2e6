"""Figures for the benches: French number formats, rates, verdicts, and timings."""

from __future__ import annotations

import gc
import time

__all__ = ["best_of", "number", "percent", "rate", "timed", "verdict_on"]


def number(value: float) -> str:
    """French thousands separator (narrow no-break space)."""
    return f"{value:,.0f}".replace(",", "\u202f")


def rate(count: int, seconds: float, unit: str = "points/s") -> str:
    return f"{number(count / seconds):>11} {unit}" if seconds > 0 else "?"


def verdict_on(met: bool | None) -> str:
    """Whether a figure meets its target, in French."""
    return "non mesuré" if met is None else ("atteinte" if met else "non atteinte")


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"


def timed(function, *args, **kwargs):
    """(seconds, result) of one call, after a garbage collection."""
    gc.collect()
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def best_of(repeat: int, function, *args):
    """(shortest seconds, result) over ``repeat`` calls: the machine may be shared."""
    runs = []
    for _ in range(repeat):
        seconds, result = timed(function, *args)
        runs.append(seconds)
    return min(runs), result
