"""Sources of places: the Fabriques de Territoire laureates, tiers-lieux and public sites."""

__all__ = ["PLACE_SOURCES"]

PLACE_SOURCES = ()
