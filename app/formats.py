"""Numbers as French readers write them, for every template (``|nombre``, ``|taille``)."""

from __future__ import annotations

from flask import Flask

__all__ = ["init_app", "number", "size"]


def number(value: int | float) -> str:
    """1 234 567: French digit groups (narrow no-break spaces)."""
    return f"{value:,}".replace(",", "\u202f")


def size(count: int) -> str:
    """20 Mo, 8 Ko: a byte count as people read it."""
    if count >= 1024 * 1024:
        return f"{count / 1024 / 1024:.3g} Mo".replace(".", ",")
    return f"{count / 1024:.3g} Ko".replace(".", ",")


def init_app(app: Flask) -> None:
    """Register the filters."""
    app.add_template_filter(number, "nombre")
    app.add_template_filter(size, "taille")
