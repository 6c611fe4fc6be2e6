"""(being written) Stagers for the places datasets."""

__all__ = ["STAGERS"]

STAGERS: dict = {}
