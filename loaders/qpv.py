"""QPV outlines (2015 and 2024 lists) and the official list of the communes of each QPV.

Outline files differ in their column names (``code_qp``, ``CODE_QP``, ``q``...): each source
in the registry maps them. The territory of each QPV comes from its département, taken from
the source when it has one, else from its commune codes, else from the QPV code itself
(QP + 3-character département + number; QN likewise).

The completeness the source claims is proven when the file is written, against the
official list of the communes of each QPV and the commune outlines (``loaders.qpv_proof``).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import shapely
from sqlalchemy import select
from sqlalchemy.engine import Connection

from geodata.storage.models import DatasetVersion, Qpv
from geodata.territories import TerritoryError, territory_of_commune, territory_of_departement
from loaders.errors import LoadError
from loaders.qpv_proof import outlines_of, prove_qpv
from loaders.read import read_csv, read_vector, require_columns
from loaders.reference import (
    is_reference_file,
    reference_at_hand,
    reference_to_compare,
    same_codes,
)
from loaders.registry import Source
from loaders.validate import (
    COMMUNE_CODE,
    Outcome,
    check_code,
    check_unique,
    polygonal,
    require_value,
)
from loaders.write import Staged

__all__ = ["QPV_CODE", "STAGERS", "stage_qpv", "stage_qpv_communes"]

QPV_CODE = {
    "2015": re.compile(r"^QP(?:\d{2}[0-9AB]|97\d)\d{3}$"),
    "2024": re.compile(r"^QN(?:\d{2}[0-9AB]|97\d)\d{2}[A-Z]$"),
}
ANY_QPV_CODE = re.compile(r"^Q[PN][0-9AB]{3}\d{2,3}[A-Z]?$")


GDAL_LIST = re.compile(r"\(\d+:(.*)\)")
"""A string list as GDAL writes it where the format has no lists: « (2:13055,13201) »."""


def _code_pattern(vintage: str) -> re.Pattern:
    return QPV_CODE.get(vintage, ANY_QPV_CODE)


def _departement_from_code(code: str) -> str:
    """ "QP075019" -> "75", "QN00401M" -> "04", "QN97101I" -> "971", "QP02A001" -> "2A"."""
    digits = code[2:5]
    return digits if digits.startswith("97") else digits[1:]


def _names(value) -> str | None:
    """The communes' names as one text: a JSON list (read by GDAL as an array) joined."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if not isinstance(value, str) and hasattr(value, "__iter__"):
        value = ", ".join(str(item).strip() for item in value if str(item).strip())
    return str(value).strip() or None


def _commune_codes(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value).strip()
    if text.startswith("["):  # a JSON list read as text by GDAL
        return re.findall(r"[0-9AB]{5}", text)
    listed = GDAL_LIST.fullmatch(text)  # a list written by ogr2ogr in a GeoPackage
    if listed:
        text = listed.group(1)
    return [part.strip() for part in re.split(r"[,;]", text) if part.strip()]


def stage_qpv(source: Source, path: Path, vintage: str) -> tuple[Staged, Outcome]:
    """Validated QPV outlines of one source file, in EPSG:4326 with their territory."""
    rows, outcome = _read_rows(source, path, vintage)
    staged = Staged(tables={"qpv": rows})
    staged.checks.append(_no_clash_with_other_sources(source, vintage, rows, str(path)))
    outlines, reference = outlines_of(rows), _reference_outlines(source, path, vintage)
    staged.proofs.append(lambda connection: prove_qpv(connection, source.complete_for, vintage,
                                                      outlines, reference))
    return staged, outcome


def _reference_outlines(source: Source, path: Path, vintage: str) -> list | None:
    """The outlines of the source's reference file (pinned by the registry's checksum) that
    a file's outlines are compared with (``loaders.qpv_extent``): none when ``path`` is that
    file; None when it is not at hand (the outlines in service are compared with). Compared
    with the outlines in service only, a quartier shrunk by steps passed every step."""
    if is_reference_file(source, path):
        return []
    reference = reference_at_hand(source, vintage)
    if reference is None:
        return None
    return outlines_of(_read_rows(source, reference, vintage)[0])


def _read_rows(source: Source, path: Path, vintage: str) -> tuple[list[dict], Outcome]:
    """The rows of the ``qpv`` table a file gives, checked (its outlines, codes, territories)."""
    frame = read_vector(path, declared_crs=source.crs)
    fields = source.fields
    require_columns(frame.columns, fields.values(), path, list_found=False)
    where = [f"entité {n}" for n in frame["feature"]]
    outcome = Outcome()
    geometries = polygonal(frame.geometry, where, path=str(path), outcome=outcome)
    pattern = _code_pattern(vintage)
    rows = []
    for index, place in enumerate(where):
        record = frame.iloc[index]
        code = require_value(record[fields["code"]], path=str(path), row=place,
                             field_name=fields["code"])
        check_code(code, pattern, path=str(path), row=place, field_name=fields["code"])
        name = require_value(record[fields["name"]], path=str(path), row=place,
                             field_name=fields["name"])
        communes = _commune_codes(record[fields["commune_codes"]]) if "commune_codes" in fields \
            else []
        for commune in communes:
            check_code(commune, COMMUNE_CODE, path=str(path), row=place,
                       field_name=fields["commune_codes"])
        departement = str(record[fields["departement"]]).strip() if "departement" in fields \
            else ""
        departement = departement or _departement_from_code(code)
        try:
            territory = territory_of_departement(departement.zfill(2))
        except TerritoryError:
            try:
                territory = territory_of_commune(communes[0]) if communes else None
            except TerritoryError:
                territory = None
            if territory is None:
                raise LoadError(
                    f"département {departement!r} inconnu : impossible de situer le quartier",
                    path=str(path), row=place, field=fields.get("departement", fields["code"]),
                ) from None
        names = _names(record[fields["commune_names"]]) if "commune_names" in fields else None
        rows.append({
            "vintage": vintage,
            "code": code,
            "name": name,
            "commune_codes": communes or None,
            "commune_names": names,
            "departement_code": departement.zfill(2) if len(departement) < 2 else departement,
            "territory": territory.code,
            "geom": geometries[index],
        })
    check_unique([r["code"] for r in rows], where, path=str(path), field_name=fields["code"])
    _no_outline_twice(rows, where, str(path), fields["code"])
    return rows, outcome


def _no_outline_twice(rows: list[dict], where: list[str], path: str, field: str) -> None:
    """Two quartiers with the same outline are one copied under another code: a QPV swapped
    for a made-up one kept the count of codes an official count proves (an outside audit
    replaced Cépière Beauregard in Toulouse by a copy of its neighbour, « QP031999 »)."""
    seen: dict[bytes, int] = {}
    for index, row in enumerate(rows):
        key = shapely.to_wkb(shapely.normalize(row["geom"]))
        if key in seen:
            first = seen[key]
            raise LoadError(f"contour en double : {row['code']} ({where[index]}) a le contour de "
                            f"{rows[first]['code']} ({where[first]}) : un quartier recopié sous "
                            "un autre code ?", path=path, row=where[index], field=field)
        seen[key] = index


def _no_clash_with_other_sources(source: Source, vintage: str, rows: list[dict], path: str):
    """A QPV code of a vintage is loaded by one source only."""
    codes = {row["code"] for row in rows}

    def check(connection: Connection, previous_ids: set[int]) -> None:
        clash = connection.execute(
            select(Qpv.code, DatasetVersion.source)
            .join(DatasetVersion, DatasetVersion.id == Qpv.dataset_version_id)
            .where(Qpv.vintage == vintage, Qpv.code.in_(codes),
                   DatasetVersion.source != source.name)
            .limit(1)
        ).first()
        if clash:
            raise LoadError(
                f"le quartier {clash.code} ({vintage}) est déjà chargé par la source "
                f"« {clash.source} » : une source par quartier",
                path=path,
            )

    return check


def stage_qpv_communes(source: Source, path: Path, vintage: str) -> tuple[Staged, Outcome]:
    """The list naming the communes of each QPV (one row per QPV and commune)."""
    fields = source.fields
    table = read_csv(path, required=list(fields.values()))
    pattern = _code_pattern(vintage)
    rows, where = [], []
    for record, line in zip(table.rows, table.lines, strict=True):
        values = {
            ours: require_value(record[theirs], path=str(path), row=line, field_name=theirs)
            for ours, theirs in fields.items()
        }
        check_code(values["qpv_code"], pattern, path=str(path), row=line,
                   field_name=fields["qpv_code"])
        check_code(values["commune_code"], COMMUNE_CODE, path=str(path), row=line,
                   field_name=fields["commune_code"])
        _same_departement(values["qpv_code"], values["commune_code"], path=str(path), row=line,
                          field=fields["commune_code"])
        rows.append({"vintage": vintage, **values})
        where.append(line)
    check_unique([(r["qpv_code"], r["commune_code"]) for r in rows], where, path=str(path),
                 field_name=f"{fields['qpv_code']}, {fields['commune_code']}")
    staged = Staged(tables={"qpv_communes": rows})
    reference = reference_to_compare(source, path, vintage)
    if reference is not None:  # QN01501M moved to Saint-Flour kept every count
        expected = _pairs(stage_qpv_communes(source, reference, vintage)[0])
        pairs = _pairs(staged)
        staged.proofs.append(
            lambda connection: same_codes("paire(s) quartier-commune", pairs, expected))
    return staged, Outcome()


def _pairs(staged: Staged) -> set[str]:
    return {f"{r['qpv_code']}-{r['commune_code']}" for r in staged.tables["qpv_communes"]}


def _same_departement(qpv_code: str, commune_code: str, **where) -> None:
    """A QPV's code names its département: a commune of another one is an error."""
    commune = commune_code[:3] if commune_code.startswith("97") else commune_code[:2]
    if _departement_from_code(qpv_code) != commune:
        raise LoadError(f"le quartier {qpv_code} est du département "
                        f"{_departement_from_code(qpv_code)} (son code), la commune "
                        f"{commune_code} du département {commune}", **where)


STAGERS = {"qpv": stage_qpv, "qpv-communes": stage_qpv_communes}
