"""A national list cut short is refused, on both backends, and loads only when forced, as
partial. The files are copies of the real shared lists altered in ``tmp_path`` (synthetic
alterations of real data, each said in its test): cut in half at a record boundary, a last
record cut after its coordinates, a last record cut inside a quoted field."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from geodata.storage.models import DatasetVersion, Place
from loaders.errors import LoadError
from loaders.pipeline import load_source
from tests.loaders.common import count, load, version_count, write_json

pytestmark = pytest.mark.shared_data

FRANCE_SERVICES = "places/france_services_20240801.csv"
CONSEILLERS = "places/conseillers_numeriques_structures_2021.json"
COUNTRY = {"scope": "country", "codes": []}


def france_services(data_dir) -> tuple[list[str], list[list[str]]]:
    """The real list's header and its 2,845 records."""
    with open(data_dir / FRANCE_SERVICES, encoding="utf-8-sig", newline="") as handle:
        header, *records = list(csv.reader(handle))
    return header, records


def csv_text(header: list[str], records: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *records])
    return buffer.getvalue()


def current(engine):
    with engine.connect() as connection:
        return connection.execute(select(DatasetVersion.__table__)
                                  .where(DatasetVersion.current.is_(True))).one()


@pytest.fixture
def services(engine, data_dir):
    """The whole real list loaded: what a refused file must leave in service."""
    load(engine, "france-services", data_dir)
    return current(engine)


def test_france_services_cut_in_half_is_refused(engine, services, data_dir, tmp_path):
    """Synthetic alteration of real data: the header and the first 1,427 of the 2,845
    records (the issue's case), written back by the csv module."""
    header, records = france_services(data_dir)
    path = tmp_path / "moitie.csv"
    path.write_text(csv_text(header, records[:1427]), encoding="utf-8")

    with pytest.raises(LoadError) as refused:
        load(engine, "france-services", path=path)

    assert "moitie.csv" in str(refused.value)
    assert "le fichier compte 1\u202f427 enregistrements, au moins 2\u202f500 sont attendus" \
        in str(refused.value)
    assert count(engine, Place) == 2845 and version_count(engine) == 1
    assert current(engine).id == services.id


def test_forced_half_list_loads_as_partial_and_says_so(engine, data_dir, tmp_path):
    """Synthetic alteration of real data: the first 1,427 records, loaded with force."""
    header, records = france_services(data_dir)
    path = tmp_path / "moitie.csv"
    path.write_text(csv_text(header, records[:1427]), encoding="utf-8")

    report = load_source(engine, "france-services", str(path), force=True, progress=False)

    assert count(engine, Place) == 1427
    version = current(engine)
    assert version.complete_for["scope"] == "none" and version.complete_for["forced"] is True
    assert version.complete_for["claimed"] == COUNTRY
    assert version.counts["records"] == 1427
    assert "au moins 2\u202f500" in version.counts["checks"]["forced"][0]
    assert report.completeness.startswith("partiel, chargé de force (--force)")


def test_a_last_record_cut_after_its_coordinates_is_refused_with_its_line(
        engine, services, data_dir, tmp_path):
    """Synthetic alteration of real data: every record, the last one cut after its eighth
    field (its coordinates), as a file truncated in the middle of a line."""
    header, records = france_services(data_dir)
    whole = csv_text(header, records[:-1])
    path = tmp_path / "coupe.csv"
    path.write_text(whole + ",".join(records[-1][:8]), encoding="utf-8")

    with pytest.raises(LoadError) as refused:
        load(engine, "france-services", path=path)

    assert refused.value.row == whole.count("\n") + 1
    assert "8 valeurs pour 24 colonnes : ligne coupée" in str(refused.value)
    assert current(engine).id == services.id


def test_a_file_ending_inside_a_quoted_field_is_refused_with_its_line(
        engine, services, data_dir, tmp_path):
    """Synthetic alteration of real data: every record, one with a field of several lines
    put last and cut just after that field's first line break."""
    header, records = france_services(data_dir)
    last = next(r for r in records if any("\n" in field for field in r[:8]))
    whole = csv_text(header, [r for r in records if r is not last])
    tail = csv_text([], [last]).lstrip("\r\n")
    path = tmp_path / "guillemet.csv"
    path.write_text(whole + tail[:tail.index("\n") + 1], encoding="utf-8")

    with pytest.raises(LoadError) as refused:
        load(engine, "france-services", path=path)

    assert refused.value.row == whole.count("\n") + 1
    assert "CSV mal formé ou tronqué" in str(refused.value)
    assert current(engine).id == services.id


@pytest.mark.parametrize(("given", "reason"), [
    ("tierslieux/cget_tierslieux_2019.geojson", "est du JSON (un GeoJSON ?), pas un CSV"),
    (b"PK\x03\x04\x14\x00\x06\x00", "est un classeur (Excel, LibreOffice), pas un CSV"),
])
def test_a_file_that_is_not_a_csv_is_refused_for_what_it_is(
        engine, services, data_dir, tmp_path, given, reason):
    """A real GeoJSON of the shared folder, or the first bytes of a workbook (synthetic),
    given for the France services list: refused with what the file is, not with the
    columns a JSON or a zip seems to have."""
    path = data_dir / given if isinstance(given, str) else tmp_path / "services.xlsx"
    if isinstance(given, bytes):
        path.write_bytes(given)

    with pytest.raises(LoadError) as refused:
        load(engine, "france-services", path=path)

    assert reason in str(refused.value) and path.name in str(refused.value)
    assert current(engine).id == services.id


def test_conseillers_json_cut_at_a_record_is_refused(engine, data_dir, tmp_path):
    """Synthetic alteration of real data: the first 700 of the 1,450 records, a valid JSON
    list (a truncation repaired by hand or by a tool)."""
    document = json.loads((data_dir / CONSEILLERS).read_text(encoding="utf-8"))

    with pytest.raises(LoadError) as refused:
        load(engine, "conseillers-numeriques",
             path=write_json(tmp_path / "moitie.json", document[:700]))

    assert "le fichier compte 700 enregistrements, au moins 1\u202f300" in str(refused.value)
    assert count(engine, Place) == 0
