"""The instructors' pages of a wave's dossiers, on both backends: the table agrees with the
domain's selection, every role gets what it may, bad filters are French 400s.

The wave is the hand-made one of ``tests/data/dossiers`` (real organisations), imported
without reference layers (every location "à vérifier") and with the local fake BAN.
"""

from __future__ import annotations

import csv
import html
import io
import re

import pytest

from app.db import EXTENSION
from geodata.dossiers.selection import DossierFilter
from geodata.geocoder import BanClient
from geodata.storage.dossiers import list_dossiers
from loaders.dossiers import import_dossiers
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server
from tests.loaders.test_dossiers_import import WAVE

pytestmark = pytest.mark.shared_data

ROWS = re.compile(r'<tr data-numero="(\d+)">')
PAGES = ("/instruction/dossiers?vague=2", "/instruction/dossiers.csv?vague=2",
         "/instruction/dossiers/1234503")


@pytest.fixture
def wave(app, data_dir, ban_server):
    engine = app.extensions[EXTENSION]
    with BanClient(ban_server.url, max_retries=0) as ban:
        import_dossiers(engine, ban, WAVE, data_dir=data_dir, actor="test")
    return engine


@pytest.mark.parametrize(("role", "status"), [(None, 302), ("instructor", 200),
                                              ("ministry", 200), ("admin", 200)])
def test_who_sees_the_dossiers(wave, client, login, role, status):
    if role:
        login(client, role)
    for path in PAGES:
        answer = client.get(path)
        assert answer.status_code == status, path
        if status == 302:
            assert answer.headers["Location"].startswith("/connexion")


@pytest.mark.parametrize("query, kept", [
    ("vague=2", DossierFilter()),
    ("vague=2&type=FT&verification=financement", DossierFilter(kind="FT",
                                                               failing="financement")),
    ("vague=1&verification=forme_juridique", DossierFilter(failing="forme_juridique")),
    ("vague=2&departement=13", DossierFilter(departement="13")),
    ("vague=2&etat=recevable", DossierFilter(state="recevable")),
])
def test_the_table_shows_the_dossiers_the_filters_keep(wave, client, login, query, kept):
    login(client)
    page = client.get(f"/instruction/dossiers?{query}")
    wave_number = query.split("&")[0].removeprefix("vague=")
    expected = [d.number for d in kept.apply(list_dossiers(wave, wave_number))]
    assert [int(n) for n in ROWS.findall(page.text)] == expected
    everything = len(list_dossiers(wave, wave_number))
    assert f"{everything} dossier(s) dans la vague" in page.text
    exported = client.get(f"/instruction/dossiers.csv?{query}")
    rows = list(csv.reader(io.StringIO(exported.text.removeprefix("\ufeff")), delimiter=";"))
    assert [int(row[0]) for row in rows[1:]] == expected


def test_the_table_sorts(wave, client, login):
    login(client)
    page = client.get("/instruction/dossiers?vague=2&tri=raison_sociale")
    numbers = [int(n) for n in ROWS.findall(page.text)]
    by_name = sorted(list_dossiers(wave, "2"),
                     key=lambda d: ((d.company_name or "").casefold(), d.number))
    assert numbers == [d.number for d in by_name] and numbers != sorted(numbers)


@pytest.mark.parametrize(("query", "said"), [
    ("etat=gagne", "état inconnu(e)"),
    ("tri=taille", "tri inconnu(e)"),
    ("departement=PACA", "département : un code"),
    ("page=0", "page : un nombre entier positif"),
    ("vague=" + "x" * 40, "vague : 16 lettres"),
])
def test_a_bad_filter_is_a_french_400(wave, client, login, query, said):
    login(client)
    answer = client.get(f"/instruction/dossiers?{query}")
    assert answer.status_code == 400 and said in html.unescape(answer.text)


def test_the_dossier_page_shows_its_checks_and_history(wave, client, login):
    login(client)
    page = html.unescape(client.get("/instruction/dossiers/1234503").text)
    assert "Dossier 1234503 : Espace Numérique Sud Charente" in page
    assert "9220 « Association déclarée » : admise" in page
    assert "Fabrique Numérique de Territoire" in page and "importé" in page
    assert client.get("/instruction/dossiers/99").status_code == 404


def test_without_dossiers_the_page_says_how_to_import(client, login):
    login(client)
    page = html.unescape(client.get("/instruction/dossiers").text)
    assert "Aucun dossier importé" in page and "fabriques dossiers importer" in page
