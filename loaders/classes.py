"""(being written) Stagers for the classes datasets."""

__all__ = ["STAGERS"]

STAGERS: dict = {}
