"""The ministry's quota dashboard: who may see it, what it shows against ``quota_table``
(ranges: decided to possible, never a bare zero), the headline figures first, names of
régions and départements, the funding committed per year, the CSV export; and the
candidates of a wave as the jury's what-if will read them (``geodata.storage.candidates``).

Roles, the yearly funding and the candidates run on both backends, with a fresh database per
test, loading the real sources the engine needs (PACA QPV 2024, communes, contours, density
grid) and the real laureates. The groupings, the headline and the export read the session's
``reference_engine`` (every real published laureate with its région and département); the
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
from app.tableau_de_bord.views import HEADLINE, MAX_GROUP_CHARTS
from geodata.checks import check_point
from geodata.policy import load_policy
from geodata.quota_report import CSV_COLUMNS
from geodata.quotas import LINE_KINDS, OVERALL, TOTAL, group_label, quota_table
from geodata.storage.candidates import CANDIDATE_PREFIX, group_names, wave_candidate_records
from geodata.storage.fabriques import laureate_records
from geodata.storage.history import record_check
from geodata.storage.models import User
from loaders.pipeline import load_source
from maps.charts import SVG_NS
from tests.app.conftest import PASSWORD
from tests.geodata.test_laureate_records import add_jury_laureates

pytestmark = pytest.mark.shared_data

DASHBOARD = "/tableau-de-bord"
EXPORT = f"{DASHBOARD}/export.csv"
PAGES = (DASHBOARD, f"{DASHBOARD}?by=region", EXPORT)
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


def bar_values(chart: ET.Element, series: str = "") -> dict[str, tuple[int, int]]:
    """Per line kind: (min, max) of the bar drawn."""
    bars = {row.get("data-category"): row.find(
        f"svg:rect[@class='bar'][@data-series='{series}']", NS)
        for row in chart.findall(".//svg:g[@class='row']", NS)}
    return {kind: (int(bar.get("data-value")), int(bar.get("data-max")))
            for kind, bar in bars.items()}


def table_ranges(page: str, table_id: str) -> dict[str, tuple[int, int]]:
    body = re.search(rf'<table id="{table_id}"[^>]*>.*?</table>', page, re.S).group(0)
    return {kind: (int(low), int(high)) for kind, low, high in re.findall(
        r'<tr data-category="([^"]+)" data-min="(\d+)" data-max="(\d+)"', body)}


def words(fragment: str) -> str:
    """The text of an HTML fragment, tags removed, spaces collapsed (narrow ones too)."""
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).replace("\u202f", "").split())


# --- who may see it ---------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, path):
    answer = client.get(path)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/connexion?next=/tableau-de-bord")


def test_instructors_are_refused(client, login):
    login(client, "instructor")
    for path in PAGES:
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert "réservée aux comptes «\u00a0ministère\u00a0»" in html.unescape(answer.text)


@pytest.mark.parametrize("role", ["ministry", "admin"])
def test_ministry_and_admins_see_every_page(client, login, role):
    login(client, role)
    for path in PAGES:
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["Cache-Control"] == "no-store"
    page = html.unescape(client.get(DASHBOARD).text)
    assert "Tableau de bord des quotas" in page and 'id="graphique-ensemble"' in page
    assert "0 Fabrique lauréate chargée" in page  # an empty database says so
    assert "Aucune lauréate n'est «\u00a0à vérifier\u00a0»\u00a0: les nombres sont exacts." in page


def test_the_history_based_simulation_is_gone(client, login):
    login(client, "ministry")
    assert client.get(f"{DASHBOARD}/simulation").status_code == 404
    assert "simulation" not in client.get(DASHBOARD).text.lower()


@pytest.mark.parametrize(("query", "message"), [
    ("?by=commune", "Regroupement inconnu\u00a0: «\u00a0commune\u00a0»"),
    ("?policy=inconnue", "Politique inconnue\u00a0: «\u00a0inconnue\u00a0»"),
])
def test_unknown_parameters_are_refused(client, login, query, message):
    login(client, "ministry")
    for path in (DASHBOARD, EXPORT):
        answer = client.get(path + query)
        assert answer.status_code == 400 and message in html.unescape(answer.text)


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
def test_the_headline_comes_first_and_never_reads_undetermined_as_zero(
        reference_client, reference_engine, policy_name):
    policy = load_policy(policy_name)
    expected = quota_table(laureate_records(reference_engine, policy), policy)
    page = html.unescape(reference_client.get(f"{DASHBOARD}?policy={policy_name}").text)
    content = page[page.index("<h1"):]
    assert content.index('id="chiffres-cles"') < min(
        content.index(marker) for marker in ('id="choix"', 'id="donnees"',
                                             'id="graphique-ensemble"', "<form"))
    undetermined = expected.line("a-verifier").min
    assert undetermined > 100  # the published list places Fabriques at commune centroids
    items = dict(re.findall(r'<li class="fabriques-headline__item" data-category="([^"]+)"'
                            r'(.*?)</li>', content, re.S))
    assert list(items) == list(HEADLINE)
    for kind, item in items.items():
        line = expected.line(kind)
        assert f'data-min="{line.min}" data-max="{line.max}" data-target="{line.target}"' in item
        text = words(item)
        if line.exact:
            assert f"{line.min} sur {line.target}" in text
        else:
            assert f"de {line.min} à {line.max} sur {line.target}" in text
    qpv = expected.line("qpv")
    assert qpv.max - qpv.min == undetermined  # every undetermined one could be in a QPV
    assert f" {qpv.min} sur" not in f" {words(items['qpv'])}"  # never the decided count alone
    assert "/ 150" not in words(content)
    assert f"les {undetermined} lauréates « à vérifier »" in words(content)


@pytest.mark.parametrize("policy_name", ["current", "ami-2019"])
def test_the_overall_chart_and_table_are_the_quota_table(reference_client, reference_engine,
                                                         policy_name):
    policy = load_policy(policy_name)
    expected = quota_table(laureate_records(reference_engine, policy), policy)
    page = html.unescape(reference_client.get(f"{DASHBOARD}?policy={policy_name}").text)
    ranges = {kind: (expected.line(kind).min, expected.line(kind).max) for kind in LINE_KINDS}
    assert ranges[TOTAL][0] == ranges[TOTAL][1] > 300  # the real list, every wave
    assert table_ranges(page, "tableau-ensemble") == ranges
    chart = svg(page, "graphique-ensemble")
    assert bar_values(chart) == ranges
    possible = chart.find(".//svg:g[@data-category='qpv']/svg:rect[@class='bar-possible']", NS)
    assert int(possible.get("data-max")) == ranges["qpv"][1] > ranges["qpv"][0]
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
    assert f"«\u00a0{policy.title}\u00a0»" in page


@pytest.mark.parametrize("by", ["wave", "region", "departement"])
def test_each_grouping_shows_every_group_by_name(reference_client, reference_engine, by):
    policy = load_policy("current")
    expected = quota_table(laureate_records(reference_engine, policy), policy, by)
    page = html.unescape(reference_client.get(f"{DASHBOARD}?by={by}").text)
    groups = re.findall(r'<tr data-group="([^"]*)">', page)
    assert groups == [group or "" for group in expected.groups]
    names = group_names(reference_engine, by)
    for group in expected.groups:
        row = re.search(rf'<tr data-group="{group or ""}">(.*?)</tr>', page, re.S).group(1)
        assert re.search(r'<th scope="row">([^<]*)</th>', row).group(1) == group_label(
            by, group, names)
        cells = re.findall(r'<td data-category="([^"]+)" data-min="(\d+)" data-max="(\d+)">'
                           r'([^<]*)</td>', row)
        assert {kind: (int(low), int(high)) for kind, low, high, _ in cells} == {
            kind: (expected.line(kind, group).min, expected.line(kind, group).max)
            for kind in LINE_KINDS}
        for _, low, high, text in cells:
            assert text.replace("\u202f", "") == (low if low == high else f"de {low} à {high}")
    if by == "region":
        assert '<th scope="row">Provence-Alpes-Côte d\'Azur</th>' in page
        assert "93 — " not in page and '<th scope="row">93</th>' not in page
    if by == "wave":
        assert '<th scope="row">vague inconnue</th>' in page  # the published list has none
        assert '<h3 class="fr-h6">Vague inconnue</h3>' in page
    assert "région région" not in page.lower() and "vague vague" not in page.lower()
    charts = re.findall(r'<svg [^>]*id="graphique-groupe-(\d+)"', page)
    if len(expected.groups) <= MAX_GROUP_CHARTS:
        assert len(charts) == len(expected.groups) and 'id="sans-graphiques"' not in page
        for number, group in enumerate(expected.groups, 1):
            chart = svg(page, f"graphique-groupe-{number}")
            assert bar_values(chart) == {kind: (expected.line(kind, group).min,
                                                expected.line(kind, group).max)
                                         for kind in LINE_KINDS}
            assert chart.findall(".//svg:line[@class='target']", NS) == []
            # its own scale: the axis ends near its largest bar (on one scale for all
            # groups, a small one's bars were 1 to 3 px wide)
            ticks = [int(t.text.replace("\u202f", ""))
                     for t in chart.findall(".//svg:g[@class='axis']/svg:text", NS)]
            assert ticks[-1] < 2 * max(expected.line(TOTAL, group).max, 1)
        assert (len(charts) > 1) == ('id="echelles"' in page)
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
    named = {None: "ensemble", "region": "par-region", "departement": "par-departement",
             "wave": "par-vague"}[by]  # French, as the other downloads (it was « -wave »)
    assert answer.headers["Content-Disposition"] == (
        f"attachment; filename=quotas-{policy_name}-{named}.csv")
    assert answer.data.startswith("\ufeff".encode())
    reader = csv.DictReader(io.StringIO(answer.data.decode("utf-8-sig")), delimiter=";")
    assert tuple(reader.fieldnames) == CSV_COLUMNS
    rows = list(reader)
    assert len(rows) == len(expected.lines)
    names = group_names(reference_engine, by)
    for row, line in zip(rows, expected.lines, strict=True):
        assert row["politique"] == policy_name
        assert row["groupe"] == ("" if line.group is None else line.group)
        assert row["nom du groupe"] == group_label(by, line.group, names)
        assert row["catégorie"] == line.category
        assert (int(row["minimum"]), int(row["maximum"])) == (line.min, line.max)
        assert int(row["dont FNT (décidées)"]) == line.fnt
        assert row["cible"] == ("" if line.target is None else str(line.target))
        for bound in ("min", "max"):
            remaining = getattr(line, f"remaining_{bound}")
            column = "reste au moins" if bound == "min" else "reste au plus"
            assert row[column] == ("" if remaining is None else str(remaining))
            share = getattr(line, f"share_{bound}")
            cell = row[f"part de la cible {bound} (%)"]
            if share is None:
                assert cell == ""
            else:
                assert float(cell.replace(",", ".")) == pytest.approx(share * 100, abs=0.05)
        assert row["montants accordés connus (€)"] == (  # empty: no amount known, not 0
            "" if line.funding_eur is None else str(line.funding_eur))
        assert int(row["engagement maximal (€)"]) == line.max_commitment_eur
        assert (int(row["sans montant connu"]), int(row["type inconnu"]),
                int(row["vague inconnue"])) == (line.unknown_funding, line.unknown_type,
                                                line.unknown_wave)
    if by is None:
        assert {row["groupe"] for row in rows} == {OVERALL}
        total = next(row for row in rows if row["catégorie"] == "total")
        assert total["montants accordés connus (€)"] == total["année 1 (€)"] == ""
        qpv = next(row for row in rows if row["catégorie"] == "qpv")
        assert int(qpv["maximum"]) > int(qpv["minimum"])


def test_amounts_no_fabrique_has_are_unknown_never_zero(reference_client):
    """The published list gives no amount: « 0 € engagés » read as a fact to an adviser."""
    page = html.unescape(reference_client.get(DASHBOARD).text)
    funding = words(re.search(r'<table id="tableau-financement">(.*?)</table>', page,
                              re.S).group(1))
    assert "Montants accordés connus inconnu" in funding
    assert "Engagé pour l'année 1 inconnu" in funding and " 0 €" not in funding


def test_the_funding_committed_per_year_sums_the_jury_s_amounts(app, data_dir, login):
    """Synthetic laureates of this service's jury (see tests/geodata/test_laureate_records)
    over the real published list: one the same as a published Fabrique, not counted twice
    (its amounts are that Fabrique's)."""
    add_jury_laureates(engine_of(app), data_dir)
    client = app.test_client()
    login(client, "ministry")
    page = html.unescape(client.get(DASHBOARD).text)
    records = laureate_records(engine_of(app), load_policy("current"))
    assert "jury-1" not in {record.id for record in records}
    years = dict(re.findall(r'<tr data-year="(\d)">.*?data-value="(\d+)"', page, re.S))
    assert years == {"1": "125000", "2": "90000", "3": "80000"}
    year_one = re.search(r'<tr data-year="1">(.*?)</tr>', page, re.S).group(1)
    assert f"({len(records) - 3} Fabriques sans montant connu cette année-là)" in words(
        year_one)
    assert f"{len(records)} Fabriques lauréates chargées" in words(page)


# --- the candidates of a wave, for the jury's what-if ------------------------------------

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
