"""The registry's reference file of a source, that another file of the source is compared with.

The registry pins each source's file by its SHA-256 (``Source.sha256``): that file, in the
shared data folder, is the reference. A file of the same source that is not it (another
export, a copy edited by hand, a file cut or tampered with) must agree with it on what
decides verdicts: the QPV outlines (``loaders.qpv_extent``), the class of each commune
(``loaders.classes``). A file's name, or the source it is loaded under, proves nothing.
"""

from __future__ import annotations

from pathlib import Path

from loaders.read import file_checksum
from loaders.registry import Source
from loaders.registry.source import default_data_dir

__all__ = ["is_reference_file", "reference_at_hand"]


def is_reference_file(source: Source, path: Path) -> bool:
    """``path`` is the source's reference file (its checksum is the registry's)."""
    return source.sha256 is not None and file_checksum(path) == f"sha256:{source.sha256}"


def reference_at_hand(source: Source) -> Path | None:
    """The source's reference file in the shared data folder, when it is there unchanged."""
    if source.sha256 is None:
        return None
    reference = source.local_path(default_data_dir())
    if not reference.is_file() or file_checksum(reference) != f"sha256:{source.sha256}":
        return None
    return reference
