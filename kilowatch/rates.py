"""Event rates by kind on the command line: the one syntax ``simulate`` and ``evaluate`` share.

``KIND=RATE`` pairs, the option repeated or the pairs joined by commas (both forms, mixed as
you like), and ``all=RATE`` for every kind; a later pair wins, so ``all=0.5,pump_night=2``
sets one kind apart. A bad pair is a usage error naming what was wrong and the kinds allowed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import typer

__all__ = ["RATE_SYNTAX", "parse_rates"]

#: For an option's --help.
RATE_SYNTAX = "KIND=RATE; repeat the option or join pairs with commas; all=RATE sets every kind"


def parse_rates(values: Iterable[str] | str | None, kinds: Iterable[str], option: str) -> dict[str, float]:
    """``KIND=RATE`` pairs (repeated or comma-joined) into ``{kind: rate}``; only the kinds given.

    Raises ``typer.BadParameter`` (a usage error, exit 2) for an unknown kind, a missing
    ``=``, or a rate that is not a finite number >= 0.
    """
    allowed = tuple(kinds)
    if isinstance(values, str):
        values = [values]
    out: dict[str, float] = {}
    for value in values or ():
        for pair in value.split(","):
            kind, sep, text = (p.strip() for p in pair.partition("="))
            if not sep or not kind:
                raise typer.BadParameter(f"{pair.strip()!r} is not KIND=RATE ({RATE_SYNTAX})", param_hint=option)
            if kind != "all" and kind not in allowed:
                raise typer.BadParameter(f"unknown kind {kind!r}; kinds: {', '.join(allowed)} (or all)", param_hint=option)
            try:
                rate = float(text)
            except ValueError:
                rate = math.nan
            if not (math.isfinite(rate) and rate >= 0):
                raise typer.BadParameter(f"{pair.strip()!r}: the rate must be a number >= 0", param_hint=option)
            out.update(dict.fromkeys(allowed, rate) if kind == "all" else {kind: rate})
    return out
