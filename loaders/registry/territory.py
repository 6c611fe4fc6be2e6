"""Sources of the territorial references: régions, départements, communes and their
contours, EPCI, and the per-commune typologies (density grid, centralité, ruralité)."""

__all__ = ["TERRITORY_SOURCES"]

TERRITORY_SOURCES = ()
