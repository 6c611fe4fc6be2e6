"""What the loader tests share: quiet loads, row counts, and broken copies of the real files
with the error loading them raises."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from geodata.storage.models import DatasetVersion
from loaders.errors import LoadError
from loaders.pipeline import LoadReport, load_source

__all__ = ["count", "edited_lines", "load", "refused", "version_count", "write_json"]


def load(engine, name: str, data_dir: Path | None = None, path: str | Path | None = None
         ) -> LoadReport:
    """Load source ``name`` from the shared folder (``data_dir``) or from ``path``, quietly."""
    return load_source(engine, name, None if path is None else str(path), data_dir=data_dir,
                       progress=False)


def refused(engine, name: str, path: str | Path) -> LoadError:
    """The error loading ``path`` as source ``name`` raises (the test fails if none)."""
    with pytest.raises(LoadError) as error:
        load(engine, name, path=path)
    return error.value


def count(engine, model, *conditions) -> int:
    """Rows of ``model``'s table, only those matching ``conditions`` if any."""
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model).where(*conditions))


def version_count(engine) -> int:
    """Dataset versions recorded, in use or not."""
    return count(engine, DatasetVersion)


def edited_lines(source: Path, target: Path, edit: Callable[[list[str]], list[str]], *,
                 encoding: str = "utf-8") -> Path:
    """``target``: the lines of ``source`` (read as ``encoding``) as ``edit`` returns them,
    written in UTF-8."""
    lines = source.read_text(encoding=encoding).splitlines()
    target.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")
    return target


def write_json(target: Path, document) -> Path:
    """``target``: ``document`` as JSON in UTF-8."""
    target.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return target
