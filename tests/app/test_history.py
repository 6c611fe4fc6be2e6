"""The instructors' history: a check kept from /verifier (checked again on the server), the
list and its CSV, who sees what, and nothing of a dossier on public pages; the repository
and the migration on both backends.

Only the real PACA QPV 2024 outlines are loaded (``qpv2024-paca``): enough for a real
verdict near the Marseille QPV QN01352M, and quick to load into each test's database.
"""

from __future__ import annotations

import csv
import html
import io
import re
import subprocess
import sys

import openpyxl
import pytest
from alembic import command
from sqlalchemy import inspect, select

from app import create_app
from app.access import authenticate, create_user
from app.db import EXTENSION, GEOCODER
from geodata.checks import check_point
from geodata.policy import CATEGORIES, SHORT_CATEGORIES, load_policy
from geodata.spreadsheet import XLSX_MIMETYPE
from geodata.storage.database import _alembic_config, upgrade
from geodata.storage.history import (
    DossierError,
    count_checks,
    list_checks,
    record_check,
    wave_candidates,
    waves,
)
from geodata.storage.models import CheckRecord, DatasetVersion
from geodata.storage.reference import versions_used
from loaders.pipeline import load_source
from tests.app.conftest import PASSWORD, csrf_token
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server

pytestmark = pytest.mark.shared_data

HISTORY = "/instruction/historique"
LON, LAT = 5.4034, 43.3305  # 82 m from the QPV QN01352M « Grand Saint Barthélémy »
VERIFIER = f"/verifier?lon={LON}&lat={LAT}&policy=current"
DOSSIER = {"dossier_ref": "FT-2024-0042", "project_name": "La Fabrique du Grand Saint-Barthélémy",
           "wave": "2024-1", "fnt": "oui", "funding_eur": "75 000"}


def engine_of(app):
    return app.extensions[EXTENSION]


@pytest.fixture
def loaded(app, data_dir):
    """The app, with the PACA QPV 2024 outlines in its database."""
    load_source(engine_of(app), "qpv2024-paca", data_dir=data_dir, progress=False)
    return app


def kept(app) -> list[CheckRecord]:
    with engine_of(app).connect() as connection:
        return connection.execute(select(CheckRecord.__table__).order_by(CheckRecord.id)).all()


def keep(client, location: str = VERIFIER, **fields) -> object:
    """Show the verdict page, then post its dossier form (with the page's CSRF token)."""
    page = client.get(location)
    assert "Enregistrer dans l'historique du dossier" in page.text
    token = re.search(r'id="garder-verification">\s*<input type="hidden" name="csrf_token" '
                      r'value="([^"]+)"', page.text).group(1)
    hidden = dict(re.findall(r'<input type="hidden" name="(address|lon|lat|policy)" '
                             r'value="([^"]*)"', page.text))
    return client.post(HISTORY, data={**hidden, **DOSSIER, **fields, "csrf_token": token})


def test_a_kept_check_is_computed_again_on_the_server(loaded, client, login):
    email = login(client)
    answer = keep(client, category="non-eligible", in_qpv="true", result="forgé")
    assert answer.status_code == 302 and answer.headers["Location"] == HISTORY

    (record,) = kept(loaded)
    expected = check_point(engine_of(loaded), "current", LON, LAT).as_dict()
    assert record.result == expected and record.category == expected["category"]
    assert (record.lon, record.lat, record.precision) == (LON, LAT, "point")
    assert record.query == f"{LON}, {LAT}" and record.policy == "current"
    assert record.geocoded_label is None and record.geocoding_score is None
    assert (record.dossier_ref, record.project_name, record.wave) == (
        DOSSIER["dossier_ref"], DOSSIER["project_name"], DOSSIER["wave"])
    assert record.fnt is True and record.funding_eur == 75000
    with engine_of(loaded).connect() as connection:
        version = connection.execute(select(DatasetVersion)).one()
    assert record.dataset_versions == [{"id": version.id, "source": "qpv2024-paca",
                                        "dataset": "qpv", "vintage": "2024",
                                        "checksum": version.checksum}]
    assert record.checked_at.tzinfo is not None

    page = html.unescape(client.get(HISTORY).text)
    assert "Vérification enregistrée dans l'historique du dossier FT-2024-0042." in page
    assert DOSSIER["project_name"] in page and "75\u202f000\xa0€" in page
    assert CATEGORIES[expected["category"]] in page
    assert f'href="/verifier?lon={LON}&lat={LAT}&policy=current"' in page
    assert email not in page.split("</header>")[1]  # an instructor's own list: no "who"


@pytest.fixture
def geocoding_app(database_url, tmp_path, data_dir, ban_server):
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"),
                      "DATABASE_URL": database_url, "GEOCODER_URL": ban_server.url})
    load_source(engine_of(app), "qpv2024-paca", data_dir=data_dir, progress=False)
    yield app
    engine_of(app).dispose()
    app.extensions[GEOCODER].close()


def test_a_kept_address_keeps_what_the_geocoder_said(geocoding_app, login):
    client = geocoding_app.test_client()
    login(client)
    address = "Avenue de Saint-Just 13013 Marseille"
    answer = keep(client, f"/verifier?address={address.replace(' ', '+')}", wave="")
    assert answer.status_code == 302
    (record,) = kept(geocoding_app)
    assert record.query == address and record.geocoded_label == address
    assert 0 < record.geocoding_score <= 1 and record.precision == "street"
    assert record.result["geocoding"]["label"] == address and record.wave is None
    assert "/verifier?address=Avenue+de+Saint-Just" in client.get(HISTORY).text


def test_without_csrf_token_nothing_is_kept(loaded, client, login):
    login(client)
    answer = client.post(HISTORY, data={"lon": str(LON), "lat": str(LAT), **DOSSIER})
    assert answer.status_code == 400 and "Formulaire expiré" in answer.text
    assert kept(loaded) == []


@pytest.mark.parametrize(("fields", "message"), [
    ({"funding_eur": "beaucoup"}, "nombre entier d'euros"),
    ({"funding_eur": "9" * 5000}, "nombre entier d'euros"),  # beyond int()'s digit limit
    ({"funding_eur": "٧٥٠٠٠"}, "nombre entier d'euros"),  # Arabic-Indic digits
    ({"fnt": "peut-être"}, "FNT\u00a0: oui, non ou inconnu"),
    ({"wave": "x" * 17}, "16 caractères au plus"),
    ({"lon": "abc"}, "La longitude doit être un nombre"),
    ({"lon": "-30", "lat": "40"}, "aucun territoire"),
])
def test_a_refused_check_is_explained_and_not_kept(loaded, client, login, fields, message):
    login(client)
    answer = keep(client, **fields)
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/verifier?")
    page = html.unescape(client.get(answer.headers["Location"]).text)
    assert "Vérification non enregistrée" in page and message in page
    assert kept(loaded) == []


def test_only_instructors_and_admins_keep_checks(loaded, login):
    ministry = loaded.test_client()
    login(ministry, "ministry")
    assert "Enregistrer dans l'historique" not in ministry.get(VERIFIER).text
    token = csrf_token(ministry, HISTORY)
    refused = ministry.post(HISTORY, data={"lon": str(LON), "lat": str(LAT),
                                           "csrf_token": token})
    assert refused.status_code == 403 and kept(loaded) == []
    admin = loaded.test_client()
    login(admin, "admin")
    assert keep(admin).status_code == 302 and len(kept(loaded)) == 1


def test_the_verdict_page_of_an_instructor_has_each_id_once(loaded, client, login):
    """The attestation's field and the form that keeps the check were both « dossier »: a
    label or a link to one reached the other (RGAA 8.2)."""
    login(client)
    page = client.get(VERIFIER).text
    assert "Enregistrer dans l'historique" in page
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_each_instructor_sees_only_their_checks_and_the_ministry_sees_all(loaded, login):
    clients = {role: loaded.test_client() for role in ("a", "b", "ministry", "admin")}
    emails = {name: login(client, "instructor" if len(name) == 1 else name)
              for name, client in clients.items()}
    keep(clients["a"], dossier_ref="DOSSIER-A")
    keep(clients["b"], dossier_ref="DOSSIER-B")
    for mine, theirs in (("a", "b"), ("b", "a")):
        page = clients[mine].get(HISTORY).text
        export = clients[mine].get(f"{HISTORY}.csv").text
        assert f"DOSSIER-{mine.upper()}" in page and f"DOSSIER-{mine.upper()}" in export
        assert f"DOSSIER-{theirs.upper()}" not in page + export
        assert emails[theirs] not in page + export
    for role in ("ministry", "admin"):
        page = clients[role].get(HISTORY).text
        assert "DOSSIER-A" in page and "DOSSIER-B" in page
        assert emails["a"] in page and emails["b"] in page and "<th scope=\"col\">Compte" in page
        assert "DOSSIER-A" in clients[role].get(f"{HISTORY}.csv").text


def test_csv_export_opens_in_a_french_spreadsheet(loaded, client, login):
    email = login(client)
    keep(client, project_name="=HYPERLINK(\"http://malveillant.example\")")
    answer = client.get(f"{HISTORY}.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    assert answer.data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(answer.data.decode("utf-8-sig")), delimiter=";"))
    (row,) = rows
    expected = check_point(engine_of(loaded), "current", LON, LAT).as_dict()
    assert row["compte"] == email and row["dossier"] == DOSSIER["dossier_ref"]
    assert row["projet"].startswith("'=HYPERLINK")  # typed text never becomes a formula
    assert row["FNT"] == "oui" and row["montant demandé (€)"] == "75000"
    assert row["règles"] == load_policy("current").title  # as the page says it, not a code
    assert row["longitude"] == str(LON).replace(".", ",")
    assert row["précision"] == "coordonnées exactes"  # as the checker says it, not « point »
    assert row["catégorie"] == SHORT_CATEGORIES[expected["category"]]  # a label, not a code
    assert row["verdict"] == CATEGORIES[expected["category"]]
    assert row["QPV le plus proche"] == expected["nearest_qpv_code"]
    assert row["distance au QPV (m)"] == str(expected["distance_to_qpv_m"]).replace(".", ",")
    assert "qpv2024-paca (2024, sha256:" in row["versions des données"]
    assert row["lien"].startswith("http://localhost/verifier?lon=")


def test_the_workbook_export_keeps_codes_as_text(loaded, client, login):
    """The CSV's codes (commune 02361, a dossier 0042) read as numbers in a spreadsheet: the
    .xlsx says each cell's type."""
    login(client)
    keep(client, project_name="=HYPERLINK(\"http://malveillant.example\")", dossier_ref="0042")
    answer = client.get(f"{HISTORY}.xlsx")
    assert answer.status_code == 200 and answer.mimetype == XLSX_MIMETYPE
    assert "historique-verifications.xlsx" in answer.headers["Content-Disposition"]
    header, row = openpyxl.load_workbook(io.BytesIO(answer.data)).active.iter_rows()
    cells = {title.value: cell for title, cell in zip(header, row, strict=True)}
    assert cells["dossier"].value == "0042" and cells["dossier"].data_type == "s"
    assert cells["QPV le plus proche"].data_type == "s"
    assert cells["projet"].value.startswith("=HYPERLINK") and cells["projet"].data_type == "s"
    assert cells["longitude"].value == LON and cells["montant demandé (€)"].value == 75000
    page = client.get(HISTORY).text
    assert 'href="/instruction/historique.xlsx"' in page and "Exporter en CSV" in page


def test_the_history_says_places_and_rules_as_people_read_them(loaded, client, login):
    """« Règles : ami-2019 » and « 4.0605, 45.0364 »: the policy's title, and the
    coordinates in the French format of the other pages."""
    login(client)
    keep(client)
    (record,) = kept(loaded)
    page = html.unescape(client.get(HISTORY).text).replace("\u202f", " ")
    cells = re.findall(r"<td[^>]*>(.*?)</td>", page, re.S)
    assert "5,40340 ; 43,33050" in cells[6] and "5.4034" not in cells[6]
    assert cells[8] == load_policy(record.policy).title.replace("\u202f", " ")


def test_the_history_is_paginated_newest_first(loaded, client, login):
    email = login(client)
    engine = engine_of(loaded)
    user_id = authenticate(engine, email, PASSWORD).id
    check = check_point(engine, "current", LON, LAT)
    for number in range(1, 53):
        record_check(engine, user_id, check, "current", f"{LON}, {LAT}",
                     {"dossier_ref": f"P-{number:03d}"})
    first = client.get(HISTORY).text
    assert "P-052" in first and "P-003" in first and "P-002" not in first
    assert first.index("P-052") < first.index("P-051")
    assert "page 1 sur 2" in first and f'href="{HISTORY}?page=2#verifications"' in first
    second = client.get(f"{HISTORY}?page=2").text
    assert "P-002" in second and "P-001" in second and "P-003" not in second
    assert "P-001" in client.get(f"{HISTORY}?page=99").text  # past the end: the last page


def test_dossier_data_never_reaches_public_pages(loaded, login):
    instructor = loaded.test_client()
    login(instructor)
    keep(instructor, dossier_ref="DOSSIER-SECRET-42", project_name="Projet confidentiel")
    anonymous = loaded.test_client()
    for path in (VERIFIER, "/", "/verifier/attestation?" + VERIFIER.split("?")[1]):
        page = anonymous.get(path).text
        assert "DOSSIER-SECRET-42" not in page and "Projet confidentiel" not in page
        assert "Enregistrer dans l'historique" not in page and 'name="dossier_ref"' not in page
    for path in (HISTORY, f"{HISTORY}.csv"):
        answer = anonymous.get(path)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/connexion")
    assert "DOSSIER-SECRET-42" in instructor.get(HISTORY).text


def test_repository_waves_and_candidates(engine, data_dir):
    load_source(engine, "qpv2024-paca", data_dir=data_dir, progress=False)
    user = create_user(engine, "inst@anct.gouv.fr", PASSWORD, "instructor")
    other = create_user(engine, "autre@anct.gouv.fr", PASSWORD, "instructor")
    check = check_point(engine, "current", LON, LAT)
    ids = {}
    for key, owner, dossier in (
        ("first", user, {"dossier_ref": "D-1", "wave": "2024-1", "fnt": True}),
        ("again", user, {"dossier_ref": " d-1 ", "wave": "2024-1", "funding_eur": 40000}),
        ("no-ref", other, {"wave": "2024-1"}),
        ("later", other, {"dossier_ref": "D-2", "wave": "2025-1"}),
        ("no-wave", user, {"dossier_ref": "D-3"}),
    ):
        ids[key] = record_check(engine, owner.id, check, "current", "q", dossier)
    assert waves(engine) == ["2024-1", "2025-1"]
    assert [r.id for r in wave_candidates(engine, "2024-1")] == [ids["again"], ids["no-ref"]]
    assert [r.id for r in wave_candidates(engine, "2024-1", latest_per_dossier=False)] == [
        ids["first"], ids["again"], ids["no-ref"]]
    candidate = wave_candidates(engine, "2024-1")[0]
    assert candidate.funding_eur == 40000 and candidate.category == check.verdict.row["category"]
    assert wave_candidates(engine, "2030-1") == []
    assert count_checks(engine) == 5 and count_checks(engine, user.id) == 3
    mine = list_checks(engine, user.id)
    assert [e.record.id for e in mine] == [ids["no-wave"], ids["again"], ids["first"]]
    assert {e.email for e in list_checks(engine)} == {user.email, other.email}
    with engine.connect() as connection:
        assert versions_used(connection, "2015") == []  # no 2015 outline loaded
    with pytest.raises(DossierError, match="champ de dossier inconnu"):
        record_check(engine, user.id, check, "current", "q", {"verdict": "qpv"})
    with pytest.raises(DossierError, match="nombre entier"):
        record_check(engine, user.id, check, "current", "q", {"funding_eur": -5})
    assert count_checks(engine) == 5


def test_a_check_keeps_the_versions_it_was_computed_from(engine, data_dir):
    """A load between the check and its recording (the page was open meanwhile) does not
    change what the record says the check read."""
    load_source(engine, "qpv2024-paca", data_dir=data_dir, progress=False)
    user = create_user(engine, "inst@anct.gouv.fr", PASSWORD, "instructor")
    check = check_point(engine, "current", LON, LAT)
    read = [version["source"] for version in check.dataset_versions]
    assert read == ["qpv2024-paca"]

    load_source(engine, "qpv2024-communes", data_dir=data_dir, progress=False)
    later = check_point(engine, "current", LON, LAT)
    record_check(engine, user.id, check, "current", "q", {})
    record_check(engine, user.id, later, "current", "q", {})

    first, second = (entry.record for entry in reversed(list_checks(engine, user.id)))
    assert [version["source"] for version in first.dataset_versions] == read
    assert {version["source"] for version in second.dataset_versions} == {
        "qpv2024-paca", "qpv2024-communes"}
    with engine.connect() as connection:
        assert second.dataset_versions == versions_used(connection, "2024")


def test_migration_creates_and_removes_the_tables(engine):
    columns = {c["name"] for c in inspect(engine).get_columns("checks")}
    assert {"user_id", "checked_at", "policy", "query", "result", "dataset_versions", "wave",
            "fnt", "funding_eur", "dossier_ref", "project_name"} <= columns
    assert {"email", "role", "password_hash", "active"} <= {
        c["name"] for c in inspect(engine).get_columns("users")}
    assert any(i["column_names"] == ["email"] for i in inspect(engine).get_unique_constraints(
        "users"))
    command.downgrade(_alembic_config(engine), "0002")
    assert not {"users", "checks"} & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert {"users", "checks"} <= set(inspect(engine).get_table_names())
    create_user(engine, "apres@anct.gouv.fr", PASSWORD, "admin")
    assert count_checks(engine) == 0


def test_the_repository_does_not_import_flask():
    code = "import sys, geodata.storage.history; print('flask' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"
