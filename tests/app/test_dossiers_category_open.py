"""The dossiers' list and a dossier's page tell an « à vérifier » dossier eligible either way
(its commune outside large urban centres, its QPV half unknown: only its category open)
from one that may be non-eligible, from what the import stored; the stored code stays.

The wave of ``tests/data/dossiers`` imported under the AMI 2019 rules with the real outlines
of two départements (13: Marseille, a métropole; 43: Saint-Julien-Chapteuil, outside them)
and the real EPCI, no QPV outline: the QPV half of every located dossier is unknown."""

from __future__ import annotations

import html
import re

import pytest

from app.db import EXTENSION
from geodata.geocoder import BanClient
from geodata.storage.dossiers import list_dossiers, move_dossiers
from loaders.dossiers import import_dossiers
from loaders.pipeline import load_source
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server
from tests.loaders.test_dossiers_import import WAVE
from tests.support import contours_of

pytestmark = pytest.mark.shared_data

SAINT_JULIEN = 1234511
TO_SETTLE = "éligible (catégorie à préciser)"


@pytest.fixture(name="wave")
def wave_fixture(app, data_dir, ban_server, tmp_path):
    engine = app.extensions[EXTENSION]
    outlines = contours_of(data_dir, ["13", "43"], tmp_path / "contours_13_43.geojson")
    load_source(engine, "commune-contours", str(outlines), progress=False)
    load_source(engine, "epci", None, data_dir=data_dir, progress=False)
    with BanClient(ban_server.url, max_retries=0) as ban:
        import_dossiers(engine, ban, WAVE, data_dir=data_dir, policy_name="ami-2019",
                        actor="test")
    return engine


def said(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(page)).split())


def test_the_list_tallies_eligible_to_settle_apart_from_to_check(wave, client, login):
    stored = {d.number: d for d in list_dossiers(wave, "2")}
    territory = stored[SAINT_JULIEN].checks["territoire"]
    assert stored[SAINT_JULIEN].category == "a-verifier"  # the stored code is unchanged
    assert territory["outside_large_urban_centre"] is True and territory["in_qpv"] is None
    undecided = sum(d.category == "a-verifier" for d in stored.values()) - 1
    assert undecided > 0  # Marseille's, and those not located
    login(client)
    page = client.get("/instruction/dossiers?vague=2").text
    synthesis = said(re.search(r'<p id="synthese">.*?</p>', page, re.S).group(0))
    assert f"{TO_SETTLE} 1" in synthesis
    tally = synthesis.split("Par catégorie")[1]
    # « Refusé, invité à recandidater 2 » holds a comma: the counts are apart by « ; »
    assert f"{TO_SETTLE} 1" in [count.strip(" :.") for count in tally.split(" ; ")]
    assert f"à vérifier {undecided}" in tally.replace(f"{TO_SETTLE} 1", "")
    row = re.search(rf'<tr data-numero="{SAINT_JULIEN}">.*?</tr>', page, re.S).group(0)
    assert TO_SETTLE in row and 'data-category="a-verifier"' in row
    marseille = re.search(r'<tr data-numero="1234505">.*?</tr>', page, re.S).group(0)
    assert TO_SETTLE not in marseille and ">à vérifier<" in marseille
    options = said(re.search(r'<select[^>]*name="categorie".*?</select>', page,
                             re.S).group(0))
    assert f"à vérifier ({undecided})" in options and f"{TO_SETTLE} (1)" in options


def test_the_category_filter_and_spreadsheets_go_by_the_shown_category(wave, client, login):
    """The filter offered « à vérifier (n) » counting Saint-Julien-Chapteuil, then listed it
    as « éligible (catégorie à préciser) »; the spreadsheet export said « à vérifier »."""
    login(client)
    kept = client.get("/instruction/dossiers?vague=2&categorie=eligible-a-preciser").text
    assert {int(n) for n in re.findall(r'<tr data-numero="(\d+)">', kept)} == {SAINT_JULIEN}
    to_check = client.get("/instruction/dossiers?vague=2&categorie=a-verifier").text
    numbers = {int(n) for n in re.findall(r'<tr data-numero="(\d+)">', to_check)}
    assert 1234505 in numbers and SAINT_JULIEN not in numbers
    sheet = client.get("/instruction/dossiers.csv?vague=2").data.decode("utf-8-sig")
    header, *rows = [line.split(";") for line in sheet.splitlines()]
    column = header.index("Catégorie")
    shown = {row[0]: row[column] for row in rows}
    assert shown[str(SAINT_JULIEN)] == TO_SETTLE and shown["1234505"] == "à vérifier"


def test_the_dossier_page_heads_eligible_to_settle_or_to_check(wave, client, login):
    login(client)
    head = said(re.search(r'<p class="fr-text--lead">.*?</p>',
                          client.get(f"/instruction/dossiers/{SAINT_JULIEN}").text,
                          re.S).group(0))
    assert "éligible, catégorie à préciser (QPV ou hors des grands centres urbains)" in head
    assert "une condition n'a pas pu être décidée" not in head
    marseille = said(re.search(r'<p class="fr-text--lead">.*?</p>',
                               client.get("/instruction/dossiers/1234505").text,
                               re.S).group(0))
    assert "à vérifier : une condition n'a pas pu être décidée" in marseille
    assert "à préciser" not in marseille


def test_the_jury_tells_a_dossier_eligible_either_way(wave, client, login):
    """The jury's table said « à vérifier » for Saint-Julien-Chapteuil, which the list and
    its page say eligible, its category to settle."""
    for target in ("en-instruction", "recevable", "transmis-au-jury"):
        move_dossiers(wave, [SAINT_JULIEN], target, "instructrice")
    login(client)
    page = client.get("/instruction/jury?vague=2").text
    row = re.search(rf'<tr[^>]*>\s*<td[^>]*>.*?{SAINT_JULIEN}.*?</tr>', page, re.S).group(0)
    assert TO_SETTLE in said(row) and "à vérifier" not in said(row)


def test_the_territorial_check_passes_when_only_the_category_is_open(wave, client, login):
    """The automatic « territoire » check said « à vérifier » for Saint-Julien-Chapteuil,
    eligible either way, and the « vérification non passée : territoire » filter kept it among
    the dossiers to look at; its export's reasons said « territoire : à vérifier »."""
    login(client)
    table = client.get(f"/instruction/dossiers/{SAINT_JULIEN}").text
    row = said(re.search(r'<table id="verifications">.*?<th scope="row">territoire</th>'
                         r'(.*?)</tr>', table, re.S).group(1))
    assert row.startswith("oui ")
    marseille = client.get("/instruction/dossiers/1234505").text
    assert said(re.search(r'<th scope="row">territoire</th>(.*?)</tr>', marseille,
                          re.S).group(1)).startswith("à vérifier ")
    failing = client.get("/instruction/dossiers?vague=2&verification=territoire").text
    kept = {int(n) for n in re.findall(r'<tr data-numero="(\d+)">', failing)}
    assert 1234505 in kept and SAINT_JULIEN not in kept
    export = client.get("/instruction/dossiers.csv?vague=2").data.decode("utf-8-sig")
    lines = {line.split(";")[0]: line for line in export.splitlines()}
    assert "territoire : éligible, catégorie à préciser" in lines[str(SAINT_JULIEN)]
    assert "territoire : à vérifier" in lines["1234505"]


def test_a_letter_tells_the_instructor_the_category_only_is_open(wave, client, login):
    for target in ("en-instruction", "recevable", "transmis-au-jury"):
        move_dossiers(wave, [SAINT_JULIEN], target, "instructrice")
    login(client)
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/instruction/jury?vague=2").text).group(1)
    client.post("/instruction/jury/decisions", data={
        "csrf_token": token, "numero": [str(SAINT_JULIEN)], "vers": "laureat",
        "motivation": "Projet solide", "vague": "2", "confirme": "oui"})
    letter = said(client.get(f"/instruction/dossiers/{SAINT_JULIEN}/courrier").text)
    assert "Le lieu est éligible dans les deux cas : la catégorie reste à préciser" in letter
    assert "Catégorie territoriale" not in letter.split("Madame, Monsieur")[1]
