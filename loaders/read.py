"""Read source files into memory, turning every failure into a ``LoadError`` that says where.

Vector files go through pyogrio (GeoJSON, GeoPackage, Shapefile, ...), CSV through Python's
csv module (so that a record's real line number is known even when a field spans several
lines), JSON through the json module.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyogrio.errors import DataSourceError
from pyproj import CRS
from pyproj.exceptions import CRSError

from geodata.eligibility.reading import SNIFF_CHARS, BatchError, refuse_non_csv
from geodata.files import os_reason
from geodata.french import agreed
from geodata.territories import STORAGE_EPSG
from loaders.errors import LoadError

__all__ = [
    "MISSING_COLUMNS",
    "CsvTable",
    "file_checksum",
    "read_csv",
    "read_json",
    "read_vector",
    "require_columns",
    "require_file",
]

MISSING_COLUMNS = "colonne(s) obligatoire(s) absente(s)"


def file_checksum(path: str | Path) -> str:
    """``sha256:<hex>`` of a file's bytes; a ``LoadError`` saying why when it is not a file
    that can be read (missing, a folder, refused by the system). A load asks for the
    checksums of its file and of the registry's reference several times: a file is read
    once per process while it is the same file unchanged (its device, inode, size and times:
    any write changes ``st_ctime_ns``), and always when it changed in the last
    ``SETTLED_NS`` (file systems tick their times coarsely)."""
    path = Path(path)
    _refuse_folder(path)
    try:
        status = path.stat()
    except FileNotFoundError:
        raise LoadError("fichier introuvable", path=str(path)) from None
    except OSError as error:
        raise LoadError(f"lecture impossible ({os_reason(error)})", path=str(path)) from None
    if time.time_ns() - max(status.st_mtime_ns, status.st_ctime_ns) < SETTLED_NS:
        return _read_checksum(path)
    return _settled_checksum(path, status.st_dev, status.st_ino, status.st_size,
                             status.st_mtime_ns, status.st_ctime_ns)


SETTLED_NS = 2_000_000_000


@lru_cache(maxsize=32)
def _settled_checksum(path: Path, *identity: int) -> str:
    """``_read_checksum`` of the file that ``identity`` (from its ``stat``) names unchanged."""
    return _read_checksum(path)


def _read_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except FileNotFoundError:
        raise LoadError("fichier introuvable", path=str(path)) from None
    except OSError as error:
        raise LoadError(f"lecture impossible ({os_reason(error)})", path=str(path)) from None
    return f"sha256:{digest.hexdigest()}"


def require_file(path: Path) -> None:
    """Refuse a path that is not an existing file, or an empty one."""
    _refuse_folder(path)
    if not path.is_file():
        raise LoadError("fichier introuvable", path=str(path))
    if path.stat().st_size == 0:
        raise LoadError("fichier vide", path=str(path))


def _refuse_folder(path: Path) -> None:
    if path.is_dir():
        raise LoadError("c'est un dossier : donnez le fichier qu'il contient", path=str(path))


def read_vector(path: str | Path, *, declared_crs: str | None = None) -> gpd.GeoDataFrame:
    """A vector file in EPSG:4326, with a ``feature`` column numbering features from 1.

    The CRS must be in the file or declared by the source; coordinates are checked against
    the CRS (a Lambert-93 file without a CRS would otherwise pass for degrees).
    """
    path = Path(path)
    require_file(path)
    try:
        # A NaN vertex is reported with its feature by validate.polygonal, not warned here.
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            # GDAL warns of a ring not closed, then GEOS refuses it: said by _unbuildable
            warnings.filterwarnings("ignore", "Non closed ring", RuntimeWarning)
            frame = pyogrio.read_dataframe(path)
    except (DataSourceError, pyogrio.errors.DataLayerError, RuntimeError) as error:
        raise _unreadable(path, error) from None
    except shapely.errors.GEOSException:  # a ring not closed: GEOS refuses to build it
        raise _unbuildable(path) from None
    if not isinstance(frame, gpd.GeoDataFrame):  # a table without geometries: a CSV...
        raise LoadError(f"fichier sans géométries : {VECTOR_EXPECTED}", path=str(path))
    if frame.empty:  # its columns unknown: not « colonne(s) obligatoire(s) absente(s) »
        raise LoadError("aucune entité dans le fichier (collection vide)", path=str(path))
    if frame.crs is None:
        if declared_crs is None:
            raise LoadError(
                "aucun système de coordonnées (CRS) dans le fichier et aucun déclaré pour "
                "cette source : ajoutez le fichier .prj ou précisez --crs",
                path=str(path),
            )
        try:
            frame = frame.set_crs(CRS.from_user_input(declared_crs))
        except CRSError as error:
            raise LoadError(f"CRS déclaré invalide : {error}", path=str(path)) from None
    _check_finite_vertices(frame, path)
    _check_coordinates_fit_crs(frame, path)
    with np.errstate(invalid="ignore"):
        frame = frame.to_crs(STORAGE_EPSG)
    frame.insert(0, "feature", range(1, len(frame) + 1))
    return frame


def _unbuildable(path: Path) -> LoadError:
    """The first feature whose geometry GEOS cannot build, named with GEOS's reason."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Non closed ring", RuntimeWarning)
        geometries = pyogrio.raw.read(path)[2]
    for number, wkb in enumerate(geometries, start=1):
        try:
            shapely.from_wkb(wkb)
        except shapely.errors.GEOSException as error:
            return LoadError(f"géométrie illisible, un anneau non fermé peut-être (GEOS : "
                             f"{error})",
                             path=str(path), row=f"entité {number}", field="geometry")
    return LoadError("géométrie illisible", path=str(path))


def _check_finite_vertices(frame: gpd.GeoDataFrame, path: Path) -> None:
    """A vertex that is not a finite number (NaN, infinite) is an error, never a repair:
    make_valid would drop it and keep a shape the file does not describe."""
    coordinates, features = shapely.get_coordinates(frame.geometry.to_numpy(),
                                                    return_index=True)
    bad = ~np.isfinite(coordinates).all(axis=1)
    if bad.any():
        raise LoadError("sommet non fini (NaN ou infini) : géométrie inutilisable, à corriger "
                        "dans le fichier", path=str(path),
                        row=f"entité {int(features[bad][0]) + 1}", field="geometry")


VECTOR_EXPECTED = ("un fichier géographique (GeoJSON, GeoPackage, Shapefile…) est attendu "
                   "pour cette source")


def _unreadable(path: Path, error: Exception) -> LoadError:
    """Why GDAL could not open a vector file, in French: a format it does not know (a
    workbook, a text...) is said as such, without GDAL's advice about driver prefixes; any
    other reason (a GeoJSON cut short...) keeps GDAL's words, which say where."""
    if "not recognized as being in a supported file format" in str(error):
        return LoadError(f"format non reconnu : {VECTOR_EXPECTED}", path=str(path))
    return LoadError(f"fichier illisible ou tronqué ({error})", path=str(path))


def _check_coordinates_fit_crs(frame: gpd.GeoDataFrame, path: Path) -> None:
    if not frame.crs.is_geographic or frame.geometry.isna().all():
        return
    bounds = frame.geometry.bounds
    outside = (bounds.minx < -180) | (bounds.maxx > 180) | (bounds.miny < -90) | (bounds.maxy > 90)
    if outside.any():
        feature = int(outside.to_numpy().nonzero()[0][0]) + 1
        raise LoadError(
            f"coordonnées hors des bornes de {frame.crs.name} : le fichier est sans doute en "
            "coordonnées projetées (Lambert-93 ?) sans CRS déclaré",
            path=str(path),
            row=f"entité {feature}",
            field="geometry",
        )


@dataclass
class CsvTable:
    """CSV records as dicts of strings, with the file line where each record starts."""

    path: Path
    columns: list[str]
    rows: list[dict[str, str]]
    lines: list[int]
    encoding: str = "utf-8"  # "cp1252" when read as Windows-1252 (``read_csv``)


def read_csv(path: str | Path, *, required: list[str], windows_1252: bool = False) -> CsvTable:
    """A UTF-8 (BOM allowed) CSV; every required column must be in the header.
    ``windows_1252``: a file that is not UTF-8 is read as Windows-1252 (a CSV saved by Excel
    in France; ``CsvTable.encoding`` says so) rather than refused.

    A workbook, a binary file or a JSON document (a GeoJSON given for the list) is refused
    for what it is, as ``fabriques classify`` refuses it. A record cut short (fewer values
    than columns, as the last line of a truncated file) or a quoted field left open at the
    end of the file is refused with its line: a truncated file never loads as a shorter list.
    """
    path = Path(path)
    require_file(path)
    with open(path, "rb") as handle:
        try:
            refuse_non_csv(handle.read(SNIFF_CHARS))
        except BatchError as error:
            raise LoadError(str(error), path=str(path)) from None
    text, encoding = _text(path, windows_1252)
    start = 1
    try:
        handle = io.StringIO(text, newline="")
        sample = text[:4096]
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
        reader = csv.DictReader(handle, delimiter=delimiter, strict=True)
        columns = _header(reader.fieldnames or [], path)
        reader.fieldnames = columns
        require_columns(columns, required, path)
        rows, lines = [], []
        start = reader.line_num + 1
        for record in reader:
            _check_width(record, len(columns), path=path, line=start)
            rows.append(record)
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as error:
        raise LoadError(f"CSV mal formé ou tronqué : {error}", path=str(path),
                        row=start) from None
    return CsvTable(path, columns, rows, lines, encoding)


def _text(path: Path, windows_1252: bool) -> tuple[str, str]:
    """The file's text and its encoding: UTF-8 (BOM allowed), else Windows-1252 if allowed;
    a file in another encoding is refused with the line of its first byte that UTF-8 cannot
    read, and what to do."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as error:
        if windows_1252:
            try:
                return data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError:
                pass  # bytes that Windows-1252 does not define either: refused below
        line = data.count(b"\n", 0, error.start) + 1
        raise LoadError(
            f"encodage invalide (UTF-8 attendu), octet {error.start} du fichier : le "
            "fichier est sans doute en Windows-1252 ou Latin-1 (un CSV enregistré par Excel) ; "
            "enregistrez-le en « CSV UTF-8 »", path=str(path), row=line) from None


def _header(names: list[str], path: Path) -> list[str]:
    """The header's column names as people read them: spaces around a name dropped, accents
    in one Unicode form (NFC: a macOS file writes « é » in two characters); a column
    without a name (a spreadsheet's trailing separators) named by its position. Two columns
    of the same name are refused: one would hide the other."""
    columns = []
    for position, name in enumerate(names, start=1):
        name = unicodedata.normalize("NFC", name).strip()
        columns.append(name or f"(colonne {position} sans nom)")
    twice = sorted({name for name in columns if columns.count(name) > 1})
    if twice:
        raise LoadError(f"{agreed('colonne(s)', len(twice))} en double dans l'en-tête : "
                        f"{', '.join(twice)}",
                        path=str(path), row=1, field=twice[0])
    return columns


def _check_width(record: dict, width: int, *, path: Path, line: int) -> None:
    """Refuse a record with more or fewer values than the header has columns."""
    if None in record:
        raise LoadError(f"{width + len(record[None])} valeurs pour {width} colonnes",
                        path=str(path), row=line)
    given = sum(value is not None for value in record.values())
    if given < width:
        raise LoadError(
            f"{given} {agreed('valeur(s)', given)} pour {width} colonnes : ligne coupée "
            "(fichier tronqué ?)",
            path=str(path), row=line,
        )


def require_columns(
    columns: Iterable[str],
    required: Iterable[str],
    path: str | Path,
    *,
    problem: str = MISSING_COLUMNS,
    list_found: bool = True,
) -> None:
    """Refuse a file that lacks a required column: the error names the missing ones (the
    first as its field) and, with ``list_found``, the columns the file has."""
    columns = list(columns)
    missing = [column for column in required if column not in columns]
    if missing:
        found = f" (colonnes trouvées : {', '.join(columns) or 'aucune'})" if list_found else ""
        cut = [name for name in missing if len(name) > 10 and name[:10] in columns]
        if cut:  # a Shapefile's fields have 10 characters at most
            found += (f" ; {cut[0]} est devenu {cut[0][:10]} : le format coupe les noms de "
                      "champ à 10 caractères (Shapefile), chargez plutôt le GeoJSON ou un "
                      "GeoPackage")
        raise LoadError(f"{agreed(problem, len(missing))} : {', '.join(missing)}{found}",
                        path=str(path),
                        field=missing[0])


def read_json(path: str | Path):
    """A JSON document; a syntax error names its line and column."""
    path = Path(path)
    require_file(path)
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except json.JSONDecodeError as error:
        raise LoadError(
            f"JSON invalide ou tronqué (colonne {error.colno}) : {error.msg}",
            path=str(path),
            row=error.lineno,
        ) from None

