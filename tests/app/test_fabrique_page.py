"""Each Fabrique's public page, its deliverables form, the links to it from the map, and
``/api/v1/fabriques`` serving the open data fields, on both backends: the real published
list plus synthetic decided laureates (``tests.laureates_data``) and a synthetic declared
network (no real network file is published) naming a real Manufacture de proximité.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from app.db import get_engine
from geodata.policy import SHORT_CATEGORIES, load_policy
from geodata.publication import COLUMNS, open_row, publication_csv
from geodata.storage.laureates import laureate_by_id, laureate_table
from geodata.storage.models import Deliverable
from loaders.pipeline import load_source
from tests.app.conftest import csrf_token
from tests.laureates_data import add_decided, load_laureates

pytestmark = pytest.mark.shared_data


@pytest.fixture
def laureates(app, runner, data_dir, tmp_path):
    """The real list, the synthetic decided laureates and a declared network of fabt-02."""
    with app.app_context():
        load_laureates(get_engine(), data_dir, tmp_path)
        add_decided(get_engine())
        load_source(get_engine(), "manufactures-proximite", data_dir=data_dir, progress=False)
    path = tmp_path / "reseaux.csv"
    path.write_text("reseau,type_reseau,fabrique,type_lieu,id_lieu,role\n"
                    "Réseau du Hublot,fabrique,fabt-02,manufacture-proximite,manuprox-1-1,"
                    "membre\n", encoding="utf-8")
    assert runner.invoke(args=["reseaux", "charger", str(path)]).exit_code == 0
    return app


def text_of(page) -> str:
    """The visible text of a page's main content, tags stripped, spaces collapsed."""
    main = page.text.split('<main', 1)[1].split("</main>", 1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def stored(app) -> int:
    with app.app_context(), get_engine().connect() as connection:
        return connection.scalar(select(func.count()).select_from(Deliverable))


def test_the_page_shows_the_fabrique_as_the_open_data_does(laureates, client):
    with laureates.app_context():
        rows = {row["id"]: row for row in laureate_table(get_engine(), load_policy())}
    page = client.get("/fabriques/fabt-02")
    assert page.status_code == 200
    shown = text_of(page)
    hublot = rows["fabt-02"]
    for words in ("Le Hublot", "Fabrique Numérique de Territoire à Nice (Alpes-Maritimes)",
                  "Vague 4", "Région Provence-Alpes-Côte d'Azur", "SIRET 12345678900017",
                  "année 1 : 60 000 €",
                  "Réseau du Hublot — réseau de la Fabrique, 1 lieu en plus de la Fabrique",
                  SHORT_CATEGORIES[hublot["category"]], "Aucun livrable enregistré"):
        assert words in shown, words
    assert "Commune : Nice (06088)" in shown  # the engine's explanation, at the place
    assert "Type Fabrique Numérique de Territoire" in shown  # not the code « FNT »
    # wave 4 was decided under the AMI 2019's rules: its category under them is said too
    with laureates.app_context():
        then = laureate_by_id(get_engine(), load_policy("ami-2019"), "fabt-02")
    assert (f"Selon les règles de sa vague 4, celles sous lesquelles elle a été retenue "
            f"(« {load_policy('ami-2019').title} ») : {then['category_label']}") in shown
    assert "Catégorie (règles actuelles) :" in shown
    assert "Enregistrer un livrable" not in shown  # the public sees no form
    assert "@" not in page.text

    panier = text_of(client.get("/fabriques/ds-900003"))
    assert rows["ds-900003"]["category"] == "qpv"  # the synthetic point lies in a QPV
    assert "QPV ou proximité" in panier and "Marseille" in panier
    assert "En QPV ou à sa proximité immédiate" in panier  # not « En qpv » (|capitalize)
    assert "Aucun réseau déclaré" in panier and "intercommunalité" in panier


def test_ids_that_are_not_a_page(laureates, client):
    same = client.get("/fabriques/ds-900001")  # the jury's decision of fabt-02
    assert same.status_code == 302 and same.headers["Location"].endswith("/fabriques/fabt-02")
    missing = client.get("/fabriques/fabt-9999")
    assert missing.status_code == 404
    assert "Fabrique introuvable" in missing.text and "fabt-9999" in missing.text
    unplaced = text_of(client.get("/fabriques/fabt-364"))
    assert "Position inconnue" in unplaced and "ne peut pas être décidée" in unplaced
    assert "Commune Saint-Martin (97801)" in unplaced  # the COG's name: the list says « NA »
    assert "à Saint-Martin (Saint-Martin)" not in unplaced  # a collectivité: its own name
    assert "Voir sur la carte" not in unplaced and "n'est pas sur la carte" in unplaced
    scene = client.get("/fabriques/fabt-109")
    assert scene.status_code == 200 and "@" not in scene.text  # the e-mail of the list
    copied = client.get("/fabriques/fabt-59%20")  # said « Aucune … « fabt-59 » », a false 404
    assert copied.status_code == 302 and copied.headers["Location"].endswith("/fabriques/fabt-59")
    for written, published in (("FABT-59", "fabt-59"), ("fabt-059", "fabt-59"),
                               ("Fabt-7", "fabt-07"), ("DS-900001", "ds-900001")):  # 404s
        asked = client.get(f"/fabriques/{written}")
        assert asked.status_code == 302, written
        assert asked.headers["Location"].endswith(f"/fabriques/{published}")
        assert client.get(asked.headers["Location"]).status_code in (200, 302)
    for odd in ("fabt-0", "fabt-\u0665\u0669"):  # no fabt-00; Arabic-Indic digits as typed
        assert client.get(f"/fabriques/{odd}").status_code == 404


def test_instructors_record_deliverables_others_cannot(laureates, client, login):
    url = "/fabriques/fabt-02/livrables"
    data = {"title": "Guide de l'atelier", "url": "https://exemple.org/guide",
            "licence": "cc-by-sa-4.0"}
    anonymous = client.post(url, data={**data, "csrf_token": csrf_token(client)})
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]
    ministry = laureates.test_client()
    login(ministry, "ministry")
    refused = ministry.post(url, data={**data, "csrf_token": csrf_token(ministry, "/carte")})
    assert refused.status_code == 403 and "Accès refusé" in refused.text
    assert stored(laureates) == 0

    email = login(client, "instructor")
    token = csrf_token(client, "/fabriques/fabt-02")
    assert client.post(url, data=data).status_code == 400  # no CSRF token
    bad = client.post(url, data={**data, "url": "javascript:alert(1)", "csrf_token": token})
    assert bad.status_code == 400 and "http:// ou https://" in bad.text
    unknown = client.post(url, data={**data, "licence": "wtfpl", "csrf_token": token})
    assert unknown.status_code == 400
    assert client.post("/fabriques/fabt-9999/livrables",
                       data={**data, "csrf_token": token}).status_code == 404
    assert stored(laureates) == 0

    good = client.post(url, data={**data, "csrf_token": token})
    assert good.status_code == 302 and good.headers["Location"].endswith("#livrables")
    assert stored(laureates) == 1
    client.post("/deconnexion", data={"csrf_token": csrf_token(client, "/fabriques/fabt-02")})
    public = client.get("/fabriques/fabt-02")
    assert '<a href="https://exemple.org/guide" rel="noopener noreferrer">Guide de l&#39;' \
           "atelier</a>" in public.text
    assert "CC BY-SA 4.0" in public.text and email not in public.text


def test_the_map_links_each_fabrique_to_its_page(laureates, client):
    page = client.get("/carte")
    assert page.status_code == 200
    assert 'href="/fabriques/fabt-02"' in page.text  # the list under the map
    popup = '\\u003ca href=\\"/fabriques/fabt-02\\"\\u003eVoir la fiche de la Fabrique'
    assert popup in page.text  # and its popup (in the map's script)
    assert "/fabriques/ds-900001" not in page.text  # shown once, as fabt-02
    reseau = client.get("/reseaux?fabrique=fabt-02&rule=declared")
    assert 'href="/fabriques/fabt-02"' in reseau.text


def test_the_home_page_counts_the_fabriques_as_the_map_does(laureates, client):
    """A laureate decided by a jury the same as a published Fabrique is one Fabrique: 382
    published and 3 decided, one of them « meme », make 384 on the map and on the home page
    (it said 385, the sum of the two sources' rows)."""
    on_map = re.search(r"Les (\d+) Fabriques lauréates", client.get("/carte").text).group(1)
    home = " ".join(client.get("/").text.split())
    assert on_map == "384" and "384 Fabriques lauréates sont chargées" in home


def test_the_api_serves_the_open_data_fields(laureates, client):
    answer = client.get("/api/v1/fabriques")
    assert answer.status_code == 200
    features = {f["id"]: f for f in answer.json["features"]}
    assert "ds-900001" not in features and len(features) == 384
    hublot = features["fabt-02"]["properties"]
    assert (hublot["name"], hublot["wave"], hublot["kind"], hublot["fnt"]) == (
        "Le Hublot", "4", "FNT", True)  # the map's keys, as before
    with laureates.app_context():
        table = laureate_table(get_engine(), load_policy())
    expected = list(csv.DictReader(io.StringIO(publication_csv(map(open_row, table)))))
    for row in expected:
        properties = features[row["id"]]["properties"]
        for column in COLUMNS:
            if column.name in ("lon", "lat"):
                continue
            value = properties[column.name]
            if column.name == "precision" and row["lon"] == "":
                continue  # the map's key keeps the stored precision
            assert ("" if value is None else str(value)) == row[column.name], column.name
    spreadsheet = client.get("/api/v1/fabriques?format=csv&region=93")
    header = spreadsheet.data.decode("utf-8-sig").splitlines()[0].split(";")
    assert {column.name for column in COLUMNS} <= set(header) and header[0] == "id"

    spec = OpenAPI.from_dict(client.get("/api/v1/openapi.json").json, config=Config(
        extra_media_type_deserializers={"application/geo+json": json.loads}))
    request = WerkzeugOpenAPIRequest(Request(EnvironBuilder(
        path="/api/v1/fabriques", base_url="http://localhost").get_environ()))
    spec.validate_response(request, WerkzeugOpenAPIResponse(answer))


@pytest.mark.parametrize("fabrique_id", ["fabt-194", "fabt-291"])
def test_a_description_given_as_a_name_is_shown_short_and_decoded(laureates, client,
                                                                   fabrique_id):
    """fabt-194's « name » is a 554-character description, fabt-291's holds « &amp; »: the
    page's heading (and the networks' page) showed them raw, filling a phone's screen."""
    with laureates.app_context():
        row = next(r for r in laureate_table(get_engine(), load_policy("current"))
                   if r["id"] == fabrique_id)
    page = client.get(f"/fabriques/{fabrique_id}").text
    heading = html.unescape(re.search(r'<h1 class="fabrique-titre">(.*?)</h1>', page).group(1))
    assert len(heading) <= 70 and "&amp;" not in heading
    assert html.unescape(row["name"]) in text_of(client.get(f"/fabriques/{fabrique_id}"))
    network = client.get(f"/reseaux?fabrique={fabrique_id}&rule=distance").text
    assert "&amp;amp;" not in network and row["name"] not in html.unescape(network)
