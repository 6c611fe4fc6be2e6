"""The checker's forms."""

from __future__ import annotations

from app.forms import LocationFields, QueryForm

__all__ = ["LocationForm"]


class LocationForm(QueryForm, LocationFields):
    """``/verifier?address=…`` or ``?lon=…&lat=…``, with ``policy``."""
