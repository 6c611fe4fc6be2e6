"""A dossier the geocoder could not place (the BAN unreachable at its import): its page says
so and offers the way forward (the checker with its address and reference, a re-check);
the checks kept with a dossier's reference are listed on its page.

The wave is the hand-made one of ``tests/data/dossiers``, imported while the BAN was
unreachable (a closed port); the app's own geocoder is the local fake BAN, which knows
« Coulounieix-Chamiers 24660 » (dossier 1234504) at its commune.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.db import EXTENSION
from geodata.geocoder import BanClient
from geodata.storage.dossiers import find_dossier
from geodata.storage.models import CheckRecord
from loaders.dossiers import import_dossiers
from loaders.pipeline import load_source
from tests.app.conftest import csrf_token
from tests.app.test_history import keep
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server
from tests.loaders.test_dossiers_import import WAVE
from tests.support import close_app, contours_of, make_app

pytestmark = pytest.mark.shared_data

PAGE = "/instruction/dossiers/1234504"


@pytest.fixture
def ban_app(database_url, tmp_path, data_dir, ban_server):
    """The app whose geocoder is the local fake BAN, the wave imported without the BAN."""
    app = make_app(database_url, tmp_path / "instance", data_dir, GEOCODER_URL=ban_server.url)
    with BanClient("http://127.0.0.1:9/", max_retries=0) as unreachable:
        import_dossiers(app.extensions[EXTENSION], unreachable, WAVE, data_dir=data_dir,
                        policy_name="ami-2019", actor="test")
    yield app
    close_app(app)


def text_of(answer) -> str:
    """The page's text, its spaces (French typography's no-break ones included) as one."""
    return " ".join(html.unescape(answer.text).split())


def test_a_dossier_not_located_says_so_and_leads_to_the_checker(ban_app, login):
    client = ban_app.test_client()
    login(client)
    page = text_of(client.get(PAGE))
    assert "une condition n'a pas pu être décidée" not in page
    assert 'data-category="a-verifier">à vérifier : non localisé</span>' in page
    assert "Dossier non localisé : Base Adresse Nationale injoignable" in page
    link = html.unescape(re.search(r'href="([^"]+)">Vérifier son lieu dans le vérificateur',
                                   client.get(PAGE).text).group(1))
    assert urlsplit(link).path == "/verifier"
    assert parse_qs(urlsplit(link).query) == {"address": ["Coulounieix-Chamiers 24660"],
                                              "policy": ["ami-2019"], "dossier": ["1234504"]}
    checker = client.get(link).text  # the reference filled in where the check is kept
    assert re.search(r'id="dossier_ref" name="dossier_ref" maxlength="100" value="1234504"',
                     checker)
    assert '<input type="hidden" name="dossier" value="1234504">' in checker  # map click


def test_an_instructor_checks_a_dossier_not_located_again(ban_app, login):
    client = ban_app.test_client()
    email = login(client)
    engine = ban_app.extensions[EXTENSION]
    assert find_dossier(engine, 1234504).lon is None
    answer = client.post("/instruction/dossiers/1234504/reverifier",
                         data={"csrf_token": csrf_token(client, PAGE)})
    assert answer.status_code == 302 and answer.headers["Location"] == PAGE
    located = find_dossier(engine, 1234504)
    assert located.lon == pytest.approx(0.690075) and located.precision == "commune"
    page = text_of(client.get(PAGE))
    assert "Dossier 1234504 vérifié de nouveau avec les données du jour" in page
    assert "non localisé" not in page and f"{email}" in page  # the event is signed


def test_only_instructors_check_a_dossier_again(ban_app, login):
    client = ban_app.test_client()
    login(client, "ministry")
    assert "Vérifier de nouveau" not in client.get(PAGE).text
    answer = client.post("/instruction/dossiers/1234504/reverifier",
                         data={"csrf_token": csrf_token(client, PAGE)})
    assert answer.status_code == 403
    assert find_dossier(ban_app.extensions[EXTENSION], 1234504).lon is None


def test_the_checks_kept_with_a_dossier_are_on_its_page(ban_app, login):
    client = ban_app.test_client()
    login(client)
    page = text_of(client.get("/instruction/dossiers/1234503"))
    assert "Aucune vérification enregistrée avec la référence 1234503 par vous" in page
    answer = keep(client, "/verifier?lon=5.4034&lat=43.3305&policy=ami-2019",
                  dossier_ref="1234503")
    assert answer.status_code == 302
    keep(client, "/verifier?lon=5.4034&lat=43.3305&policy=ami-2019", dossier_ref="12345030")
    shown = client.get("/instruction/dossiers/1234503").text
    rows = re.search(r'<table id="verifications-gardees".*?</table>', shown, re.DOTALL).group(0)
    assert rows.count("<tr>") == 2  # the heading and the one check of this reference
    assert "/verifier?lon=5.4034" in rows
    assert 'href="/instruction/historique?dossier=1234503"' in shown



def test_the_commune_verdict_the_checker_shows_is_kept_while_the_ban_is_down(
        database_url, tmp_path, data_dir, login):
    """The checker answers at the commune when the BAN is unreachable; keeping that verdict
    checked the address again without the commune's fall-back: « non enregistrée »."""
    contours = contours_of(data_dir, ["24"], tmp_path / "contours_24.geojson")
    app = make_app(database_url, tmp_path / "instance", data_dir,
                   GEOCODER_URL="http://127.0.0.1:9/")
    try:
        engine = app.extensions[EXTENSION]
        load_source(engine, "communes", data_dir=data_dir, progress=False)  # the directory
        load_source(engine, "commune-contours", str(contours), progress=False)
        client = app.test_client()
        login(client)
        answer = keep(client, "/verifier?address=Coulounieix-Chamiers+24660&policy=ami-2019"
                              "&dossier=1234504", dossier_ref="1234504")
        assert answer.status_code == 302, text_of(answer)
        with engine.connect() as connection:
            (record,) = connection.execute(select(CheckRecord)).all()
        assert record.dossier_ref == "1234504" and record.precision == "commune"
        assert record.commune_code == "24138"
    finally:
        close_app(app)
