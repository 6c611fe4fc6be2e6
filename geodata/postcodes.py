"""Postal codes and the communes they serve, read from the COG file the communes are loaded
from (``codesPostaux`` of each current commune): five digits alone are more often a postal
code than an INSEE code, and the two often name different communes (« 13013 » is Marseille's
13th arrondissement by post, Belcodène by INSEE code).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

__all__ = ["read_postcodes"]


@lru_cache(maxsize=4)
def _read(path: Path, mtime_ns: int) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for commune in json.loads(path.read_text(encoding="utf-8")):
        if commune.get("type") == "commune-actuelle":
            for postcode in commune.get("codesPostaux") or ():
                found.setdefault(postcode, []).append(commune["code"])
    return {postcode: tuple(codes) for postcode, codes in found.items()}


def read_postcodes(path: Path) -> dict[str, tuple[str, ...]]:
    """Postal code -> INSEE codes of the current communes it serves, read again when the
    file changes; empty when the file is absent or unreadable (the callers then read a code
    typed alone as an INSEE code, and say so)."""
    try:
        return _read(path, path.stat().st_mtime_ns)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
