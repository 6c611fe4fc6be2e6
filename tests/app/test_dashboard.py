"""The ministry's quota dashboard: who may see it, what it shows against ``quota_table``,
the CSV export, and the what-if with candidates kept through the history repository.

Roles and the what-if run on both backends, with a fresh database per test; the what-if
loads the real sources the engine needs around its points (PACA QPV 2024, communes,
contours, density grid) and the real laureates. The groupings and the export read the
session's ``reference_engine`` (every real laureate with its région and département); the
ministry account created there is removed afterwards.
"""

from __future__ import annotations

import csv
import html
import io
import re
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import delete

from app import create_app
from app.access import create_user
from app.db import EXTENSION
from app.tableau_de_bord.views import CSV_COLUMNS, MAX_GROUP_CHARTS
from geodata.checks import check_point
from geodata.policy import load_policy
from geodata.quotas import FNT, LINE_KINDS, OVERALL, TOTAL, quota_table
from geodata.storage.candidates import CANDIDATE_PREFIX, group_names, wave_candidate_records
from geodata.storage.fabriques import laureate_records
from geodata.storage.history import record_check, wave_candidates
from geodata.storage.models import User
from loaders.pipeline import load_source
from maps.charts import SVG_NS
from tests.app.conftest import PASSWORD, csrf_token

pytestmark = pytest.mark.shared_data

DASHBOARD = "/tableau-de-bord"
EXPORT = f"{DASHBOARD}/export.csv"
SIMULATION = f"{DASHBOARD}/simulation"
PAGES = (DASHBOARD, f"{DASHBOARD}?by=region", EXPORT, SIMULATION)
NS = {"svg": SVG_NS}
ENGINE_SOURCES = ("regions", "departements", "communes", "commune-contours", "densite",
                  "qpv2024-communes", "qpv2024-paca", "laureates")


def engine_of(app):
    return app.extensions[EXTENSION]


def svg(page: str, chart_id: str) -> ET.Element:
    """The chart ``chart_id`` of a page, parsed as XML."""
    found = re.search(rf'<svg [^>]*id="{chart_id}".*?</svg>', page, re.S)
    assert found, f"pas de graphique {chart_id}"
    return ET.fromstring(found.group(0))


def bar_values(chart: ET.Element, series: str = "") -> dict[str, int]:
    return {row.get("data-category"): int(row.find(
        f"svg:rect[@class='bar'][@data-series='{series}']", NS).get("data-value"))
        for row in chart.findall(".//svg:g[@class='row']", NS)}


def table_counts(page: str, table_id: str) -> dict[str, int]:
    body = re.search(rf'<table id="{table_id}">.*?</table>', page, re.S).group(0)
    return {kind: int(count) for kind, count in
            re.findall(r'<tr data-category="([^"]+)" data-count="(\d+)"', body)}


# --- who may see it ---------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, path):
    answer = client.get(path)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/connexion?next=/tableau-de-bord")


def test_an_anonymous_simulation_post_is_sent_to_the_login_page(client):
    token = csrf_token(client)
    answer = client.post(SIMULATION, data={"csrf_token": token, "wave": "2024-1"})
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/connexion")


def test_instructors_are_refused(client, login):
    login(client, "instructor")
    for path in PAGES:
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert "réservée aux comptes « ministère »" in html.unescape(answer.text)
    token = csrf_token(client, "/instruction/historique")
    assert client.post(SIMULATION, data={"csrf_token": token}).status_code == 403


@pytest.mark.parametrize("role", ["ministry", "admin"])
def test_ministry_and_admins_see_every_page(client, login, role):
    login(client, role)
    for path in PAGES:
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["Cache-Control"] == "no-store"
    page = html.unescape(client.get(DASHBOARD).text)
    assert "Tableau de bord des quotas" in page and 'id="graphique-ensemble"' in page
    assert "0 Fabrique(s) lauréate(s) chargée(s)" in page  # an empty database says so
    assert "Aucune vérification n'a encore été enregistrée avec une vague" in html.unescape(
        client.get(SIMULATION).text)


@pytest.mark.parametrize(("query", "message"), [
    ("?by=commune", "regroupement inconnu : 'commune'"),
    ("?policy=inconnue", "politique inconnue : 'inconnue'"),
])
def test_unknown_parameters_are_refused(client, login, query, message):
    login(client, "ministry")
    for path in (DASHBOARD, EXPORT):
        answer = client.get(path + query)
        assert answer.status_code == 400 and message in html.unescape(answer.text)
    if "policy" in query:
        assert client.get(SIMULATION + query).status_code == 400


# --- what it shows, on the real laureates ------------------------------------------------

@pytest.fixture
def reference_client(reference_engine, tmp_path, data_dir, login):
    """A ministry account logged in on an app over the shared reference database."""
    app = create_app({
        "TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": reference_engine.url.render_as_string(hide_password=False),
        "DATA_DIR": str(data_dir),
    })
    client = app.test_client()
    email = login(client, "ministry", email=f"tdb-{uuid.uuid4().hex[:12]}@exemple.gouv.fr")
    yield client
    engine_of(app).dispose()
    with reference_engine.begin() as connection:
        connection.execute(delete(User).where(User.email == email))


@pytest.mark.parametrize("policy_name", ["current", "ami-2019"])
def test_the_overall_chart_and_table_are_the_quota_table(reference_client, reference_engine,
                                                         policy_name):
    policy = load_policy(policy_name)
    expected = quota_table(laureate_records(reference_engine, policy), policy)
    page = html.unescape(reference_client.get(f"{DASHBOARD}?policy={policy_name}").text)
    counts = {kind: expected.line(kind).count for kind in LINE_KINDS}
    assert counts[TOTAL] > 300  # the real list, every wave
    assert table_counts(page, "tableau-ensemble") == counts
    chart = svg(page, "graphique-ensemble")
    assert bar_values(chart) == counts
    assert {line.get("data-target") for line in chart.findall(".//svg:line[@class='target']",
                                                               NS)} == {
        str(policy.quotas.qpv), str(policy.quotas.fnt),
        str(policy.quotas.outside_large_urban_centres), str(policy.quotas.total)}
    total = expected.line(TOTAL)
    assert f"{total.unknown_wave} sans vague connue" in page.replace("\u202f", "")
    assert f'data-value="{total.max_commitment_eur}"' in page
    at_targets = (policy.quotas.total * policy.funding.max_total_eur
                  + policy.quotas.fnt * policy.funding.fnt_bonus_eur)
    assert f'data-value="{at_targets}"' in page
    assert f"« {policy.title} »" in page


@pytest.mark.parametrize("by", ["wave", "region", "departement"])
def test_each_grouping_shows_every_group(reference_client, reference_engine, by):
    policy = load_policy("current")
    expected = quota_table(laureate_records(reference_engine, policy), policy, by)
    page = html.unescape(reference_client.get(f"{DASHBOARD}?by={by}").text)
    groups = re.findall(r'<tr data-group="([^"]*)">', page)
    assert groups == [group or "" for group in expected.groups]
    for group in expected.groups:
        row = re.search(rf'<tr data-group="{group or ""}">(.*?)</tr>', page, re.S).group(1)
        cells = dict(re.findall(r'<td data-category="([^"]+)">([^<]*)</td>', row))
        assert {kind: int(value.replace("\u202f", "")) for kind, value in cells.items()} == {
            kind: expected.line(kind, group).count for kind in LINE_KINDS}
    names = group_names(reference_engine, by)
    if by == "region":
        assert "93 — Provence-Alpes-Côte d'Azur" in page and names["93"] in page
    charts = re.findall(r'<svg [^>]*id="graphique-groupe-(\d+)"', page)
    if len(expected.groups) <= MAX_GROUP_CHARTS:
        assert len(charts) == len(expected.groups) and 'id="sans-graphiques"' not in page
        for number, group in enumerate(expected.groups, 1):
            chart = svg(page, f"graphique-groupe-{number}")
            assert bar_values(chart) == {kind: expected.line(kind, group).count
                                         for kind in LINE_KINDS}
            assert chart.findall(".//svg:line[@class='target']", NS) == []
    else:
        assert by == "departement" and charts == [] and 'id="sans-graphiques"' in page
    assert 'id="graphique-ensemble"' in page  # the overall chart stays on top


@pytest.mark.parametrize(("policy_name", "by"), [("current", None), ("current", "region"),
                                                 ("ami-2019", "departement"),
                                                 ("current", "wave")])
def test_the_csv_export_is_the_quota_table(reference_client, reference_engine, policy_name,
                                           by):
    policy = load_policy(policy_name)
    expected = quota_table(laureate_records(reference_engine, policy), policy, by)
    answer = reference_client.get(f"{EXPORT}?policy={policy_name}&by={by or ''}")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == (
        f"attachment; filename=quotas-{policy_name}-{by or 'ensemble'}.csv")
    assert answer.data.startswith("\ufeff".encode())
    reader = csv.DictReader(io.StringIO(answer.data.decode("utf-8-sig")), delimiter=";")
    assert tuple(reader.fieldnames) == CSV_COLUMNS
    rows = list(reader)
    assert len(rows) == len(expected.lines)
    names = group_names(reference_engine, by)
    for row, line in zip(rows, expected.lines, strict=True):
        assert row["politique"] == policy_name
        assert row["groupe"] == ("(inconnu)" if line.group is None else line.group)
        assert row["nom du groupe"] == names.get(line.group or "", "")
        assert row["catégorie"] == line.category
        assert int(row["nombre"]) == line.count and int(row["dont FNT"]) == line.fnt
        assert row["cible"] == ("" if line.target is None else str(line.target))
        assert row["reste"] == ("" if line.remaining is None else str(line.remaining))
        if line.share_of_target is None:
            assert row["part de la cible (%)"] == ""
        else:
            assert float(row["part de la cible (%)"].replace(",", ".")) == pytest.approx(
                line.share_of_target * 100, abs=0.05)
        assert int(row["montants accordés connus (€)"]) == line.funding_eur
        assert int(row["engagement maximal (€)"]) == line.max_commitment_eur
        assert (int(row["sans montant connu"]), int(row["type inconnu"]),
                int(row["vague inconnue"])) == (line.unknown_funding, line.unknown_type,
                                                line.unknown_wave)
    if by is None:
        assert {row["groupe"] for row in rows} == {OVERALL}


# --- the what-if -------------------------------------------------------------------------

POINTS = {  # real places; their categories come from the engine, never from this table
    "marseille": (5.4034, 43.3305),  # 82 m from the QPV QN01352M
    "gap": (6.10, 44.55),
    "paris": (2.35, 48.85),  # no 2024 outline loaded there: "à vérifier"
    "marseille-sud": (5.37, 43.30),
}


@pytest.fixture
def wave_app(app, data_dir):
    """The app with the engine's sources, the laureates, and candidates of two waves."""
    engine = engine_of(app)
    for name in ENGINE_SOURCES:
        load_source(engine, name, data_dir=data_dir, progress=False)
    instructor = create_user(engine, "instructeur@exemple.gouv.fr", PASSWORD, "instructor")
    ids = {}
    for key, place, dossier in (
        ("D-1 old", "gap", {"dossier_ref": "D-1", "wave": "2024-1", "funding_eur": 1}),
        ("D-1", "marseille", {"dossier_ref": "D-1", "wave": "2024-1", "fnt": True,
                              "funding_eur": 75000}),
        ("D-2", "gap", {"dossier_ref": "D-2", "wave": "2024-1", "fnt": False,
                        "funding_eur": 150000}),
        ("D-3", "paris", {"dossier_ref": "D-3", "wave": "2024-1", "project_name": "Paris"}),
        ("no-ref", "marseille-sud", {"wave": "2024-1", "fnt": True, "funding_eur": 90000}),
        ("D-9", "marseille", {"dossier_ref": "D-9", "wave": "2025-1", "funding_eur": 5}),
    ):
        check = check_point(engine, "current", *POINTS[place])
        ids[key] = record_check(engine, instructor.id, check, "current",
                                "{}, {}".format(*POINTS[place]), dossier)
    app.candidate_ids = ids
    return app


def category(app, policy_name: str, place: str) -> str:
    return check_point(engine_of(app), policy_name, *POINTS[place]).verdict.row["category"]


def moves(page: str) -> dict[str, tuple[int, int]]:
    """Per line kind: (before, after) counts of the simulation table."""
    return {kind: (int(before), int(after)) for kind, before, after in re.findall(
        r'<tr data-category="([^"]+)" data-before="(\d+)" data-after="(\d+)"', page)}


def test_a_wave_s_candidates_are_listed_all_selected(wave_app, login):
    client = wave_app.test_client()
    login(client, "ministry")
    page = html.unescape(client.get(f"{SIMULATION}?wave=2024-1").text)
    ids = wave_app.candidate_ids
    listed = [int(i) for i in re.findall(r'<tr data-check="(\d+)"', page)]
    assert listed == [r.id for r in wave_candidates(engine_of(wave_app), "2024-1")]
    assert sorted(listed) == sorted(ids[k] for k in ("D-1", "D-2", "D-3", "no-ref"))
    assert len(re.findall(r'name="candidat"\s+value="\d+" checked', page)) == 4
    assert "<strong>4</strong> candidature(s)" in page and "D-9" not in page
    table = moves(page)
    assert table[TOTAL][1] - table[TOTAL][0] == 4
    assert table[TOTAL][0] == len(laureate_records(engine_of(wave_app), load_policy("current")))
    assert client.get(SIMULATION).status_code == 200  # no wave given: the latest one
    assert "D-9" in html.unescape(client.get(SIMULATION).text)

    anonymous = wave_app.test_client()  # nothing of a dossier reaches a visitor
    assert anonymous.get(f"{SIMULATION}?wave=2024-1").status_code == 302
    for path in (f"{SIMULATION}?wave=2024-1", DASHBOARD, "/", "/verifier"):
        text = anonymous.get(path).text
        assert "D-1" not in text and "D-9" not in text and "75000" not in text


def test_the_counts_move_by_exactly_the_selected_candidates(wave_app, login):
    client = wave_app.test_client()
    login(client, "ministry")
    ids = wave_app.candidate_ids
    token = csrf_token(client, f"{SIMULATION}?wave=2024-1")
    chosen = ("D-1", "D-2", "no-ref")
    answer = client.post(SIMULATION, data={
        "csrf_token": token, "policy": "current", "wave": "2024-1",
        # D-9 (another wave) and the superseded check of D-1 are not candidates: ignored
        "candidat": [str(ids[k]) for k in (*chosen, "D-9", "D-1 old")],
    })
    assert answer.status_code == 200
    page = html.unescape(answer.text)
    places = {"D-1": "marseille", "D-2": "gap", "no-ref": "marseille-sud"}
    expected = {kind: 0 for kind in LINE_KINDS}
    for key in chosen:
        expected[category(wave_app, "current", places[key])] += 1
    expected[FNT] = 2  # D-1 and no-ref
    expected[TOTAL] = len(chosen)
    table = moves(page)
    assert {kind: after - before for kind, (before, after) in table.items()} == expected
    assert expected["qpv"] >= 1 and expected["hors-grands-centres-urbains"] == 1
    funding = re.search(r'<tr data-category="total"[^>]*data-funding-before="(\d+)"\s+'
                        r'data-funding-after="(\d+)"', page)
    assert int(funding.group(2)) - int(funding.group(1)) == 75000 + 150000 + 90000
    chart = svg(page, "graphique-simulation")
    assert bar_values(chart, "avant") == {kind: before for kind, (before, _) in table.items()}
    assert bar_values(chart, "après") == {kind: after for kind, (_, after) in table.items()}
    checked = re.findall(r'name="candidat"\s+value="(\d+)" checked', page)
    assert sorted(int(i) for i in checked) == sorted(ids[k] for k in chosen)
    assert "<strong>3</strong> candidature(s) sélectionnée(s) sur 4" in " ".join(page.split())

    nothing = client.post(SIMULATION, data={"csrf_token": token, "policy": "current",
                                            "wave": "2024-1"})
    assert all(before == after for before, after in moves(nothing.text).values())


def test_candidates_are_classified_again_under_the_chosen_policy(wave_app, login):
    client = wave_app.test_client()
    login(client, "ministry")
    page = html.unescape(client.get(f"{SIMULATION}?wave=2024-1&policy=ami-2019").text)
    ids = wave_app.candidate_ids
    for key, place in (("D-1", "marseille"), ("D-2", "gap"), ("no-ref", "marseille-sud")):
        shown = re.search(rf'<tr data-check="{ids[key]}" data-category="([^"]+)"', page)
        assert shown.group(1) == category(wave_app, "ami-2019", place)
    # kept as "qpv" under current; no 2015 outline is loaded here, so ami-2019 cannot say
    assert category(wave_app, "current", "marseille") == "qpv"
    assert category(wave_app, "ami-2019", "marseille") != "qpv"
    assert "enregistrée « QPV ou proximité » sous « current »" in page
    table = moves(page)
    after = {kind: a - b for kind, (b, a) in table.items()}
    assert after[TOTAL] == 4
    assert sum(after[kind] for kind in LINE_KINDS if kind not in (FNT, TOTAL)) == 4


def test_candidate_records_carry_the_dossier_and_the_engine_s_commune(wave_app):
    engine = engine_of(wave_app)
    ids = wave_app.candidate_ids
    candidates = {c.check_id: c for c in wave_candidate_records(engine, load_policy("current"),
                                                                 "2024-1")}
    assert set(candidates) == {ids[k] for k in ("D-1", "D-2", "D-3", "no-ref")}
    gap, paris = candidates[ids["D-2"]].record, candidates[ids["D-3"]].record
    assert gap.id == f"{CANDIDATE_PREFIX}{ids['D-2']}" and gap.wave == "2024-1"
    assert (gap.region, gap.departement) == ("93", "05")  # Gap, Hautes-Alpes
    assert (paris.region, paris.departement) == ("11", "75")
    assert (gap.fnt, gap.funding_eur) == (False, 150000)
    assert (paris.fnt, paris.funding_eur) == (None, None)
    assert gap.category == category(wave_app, "current", "gap")
    assert not candidates[ids["D-2"]].reclassified
    assert wave_candidate_records(engine, load_policy("current"), "2030-1") == []


def test_the_candidates_module_does_not_import_flask():
    code = ("import sys, geodata.storage.candidates, maps.charts; "
            "print('flask' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"


def test_a_simulation_without_its_csrf_token_is_refused(client, login):
    login(client, "ministry")
    answer = client.post(SIMULATION, data={"policy": "current", "wave": "2024-1",
                                           "candidat": ["1"]})
    assert answer.status_code == 400 and "Formulaire expiré" in answer.text
    token = csrf_token(client, SIMULATION)
    answer = client.post(SIMULATION, data={"policy": "current", "wave": "2024-1",
                                           "candidat": ["1"], "csrf_token": token})
    assert answer.status_code == 200  # the same form with its token goes through
