"""(being written) Stagers for the laureates datasets."""

__all__ = ["STAGERS"]

STAGERS: dict = {}
