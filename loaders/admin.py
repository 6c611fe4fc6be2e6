"""(being written) Stagers for the admin datasets."""

__all__ = ["STAGERS"]

STAGERS: dict = {}
