"""The networks and coverage pages, their CSV and JSON equivalents, and the load command.

Most tests read the real data (``places_engine``: real communes, contours, EPCI, laureates
and place lists). The declared-network tests load a small synthetic network file (no real
one is published) that names real places, on each backend.
"""

from __future__ import annotations

import html
import re

import pytest

from app import create_app
from app.db import EXTENSION
from geodata.coverage import by_departement, totals, uncovered
from geodata.french import decimal
from geodata.storage.database import upgrade
from geodata.storage.networks import commune_distances, network_for
from loaders.pipeline import load_source
from tests.networks_data import places_engine  # noqa: F401
from tests.support import contours_of

pytestmark = pytest.mark.shared_data

ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
ROWS = re.compile(r"<tr data-kind=\"([^\"]+)\">")


@pytest.fixture
def real(places_engine, tmp_path, data_dir):  # noqa: F811
    """A client of the app over the real data."""
    app = create_app({
        "TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"), "RATELIMIT": "off",
        "DATABASE_URL": places_engine.url.render_as_string(hide_password=False),
        "DATA_DIR": str(data_dir),
    })
    yield app.test_client()
    app.extensions[EXTENSION].dispose()


def table(html: str, table_id: str) -> list[list[str]]:
    """Cells of a table's body rows (tags stripped, spaces collapsed)."""
    section = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    body = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    return [[" ".join(re.sub(r"<[^>]+>", " ", cell).split())
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)] for row in rows]


def assert_local_assets(html: str) -> None:
    urls = ASSET.findall(html)
    assert urls and all(url.startswith(("/", "#")) for url in urls), urls
    assert "cdn" not in html.lower() and "https://" not in html.split("<footer")[0]


# --- /reseaux ------------------------------------------------------------------------------

def test_the_page_offers_every_located_fabrique(real):
    page = real.get("/reseaux")
    assert page.status_code == 200
    assert page.text.count('<option value="fabt-') == 381
    assert 'id="kind-france-services"' in page.text and 'id="rule-epci"' in page.text
    assert 'class="folium-map"' not in page.text


def test_a_search_with_one_answer_shows_its_network(real, places_engine):  # noqa: F811
    page = real.get("/reseaux?q=hublot&action=chercher&rule=epci")
    assert page.status_code == 200
    assert page.text.count('<option value="fabt-') == 1
    assert "Le Hublot — Métropole Nice Côte d&#39;Azur" in page.text
    view = network_for(places_engine, "fabt-02", "epci")
    assert len(table(page.text, "membres")) == len(view.members)


def test_the_network_page_agrees_with_the_domain(real, places_engine):  # noqa: F811
    page = real.get("/reseaux?fabrique=fabt-02&rule=distance&distance_km=5")
    assert page.status_code == 200
    view = network_for(places_engine, "fabt-02", "distance", distance_m=5000)
    counts = {row[0]: int(row[1]) for row in table(page.text, "comptes")}
    assert sum(counts.values()) == len(view.members) == len(table(page.text, "membres"))
    assert list(counts.values()) == list(view.counts().values())
    members = table(page.text, "membres")
    assert [row[0] for row in members] == [m.name for m in view.members]
    assert [row[3] for row in members] == [decimal(m.distance_m / 1000)
                                           for m in view.members]  # « 0,7 »: French
    assert page.text.count("L.circleMarker") == len(view.members) + 1
    assert 'aria-label="Carte du réseau' in page.text
    assert_local_assets(page.text)
    json_link = re.search(r'href="(/api/v1/reseaux/fabriques/fabt-02[^"]*)"', page.text)
    answer = real.get(json_link.group(1).replace("&amp;", "&"))
    assert answer.status_code == 200 and answer.json["counts"] == view.counts()


def test_kinds_filter_the_network(real):
    page = real.get("/reseaux?fabrique=fabt-02&rule=distance&distance_km=20"
                    "&kind=france-services&kind=fabrique")
    assert set(ROWS.findall(page.text)) <= {"france-services", "fabrique"}
    assert "france-services" in ROWS.findall(page.text)


@pytest.mark.parametrize(("query", "status", "message"), [
    ("fabrique=fabt-999", 404, "Fabrique inconnue"),
    ("fabrique=fabt-02&rule=distance&distance_km=abc", 400, "nombre attendu"),
    ("fabrique=fabt-02&rule=distance&distance_km=500", 400, "distance hors limites"),
    ("fabrique=fabt-02&rule=voisins", 400, "règle inconnue"),
    ("fabrique=fabt-02&kind=boulangerie", 400, "type de lieu inconnu"),
    ("fabrique=fabt-02&rule=declared", 404, "aucun réseau déclaré"),
    ("network=abc", 400, "numéro de réseau invalide"),
    ("network=%C2%B2", 400, "numéro de réseau invalide"),  # "²" is a digit to str.isdigit
    ("network=12", 404, "aucun réseau déclaré"),
])
def test_bad_requests_say_why(real, query, status, message):
    page = real.get(f"/reseaux?{query}")
    assert page.status_code == status
    assert 'role="alert"' in page.text and message in page.text


# --- /reseaux/couverture -------------------------------------------------------------------

def test_the_coverage_page_agrees_with_the_domain(real, places_engine):  # noqa: F811
    page = real.get("/reseaux/couverture")
    assert page.status_code == 200
    rows = by_departement(commune_distances(places_engine, "contour"), 20_000.0)
    shown = table(page.text, "departements")
    assert len(shown) == len(rows)
    for cells, row in zip(shown, rows, strict=True):
        assert cells[0].startswith(row.code)
        assert int(cells[3].replace(" ", "")) == row.uncovered_communes
        assert int(cells[4].replace(" ", "")) == row.uncovered_population
    total = totals(rows)  # French numbers, with narrow no-break spaces (never split)
    assert f"{total.uncovered_communes:,}".replace(",", "\u202f") in html.unescape(page.text)
    assert page.text.count('"className": "fabriques-departement"') == sum(
        1 for row in rows if row.uncovered_population)
    assert_local_assets(page.text)


def test_the_coverage_page_names_the_fabrique_placed_nowhere(real):
    page = html.unescape(real.get("/reseaux/couverture").text)
    assert "Fabrique placée nulle part" in page and "fabt-364" in page
    nowhere = " ".join(re.search(r'<span id="sans-localisation">(.*?)</span>', page,
                                 re.S)[1].split())
    assert "(fabt-364) : dans son territoire," in nowhere  # one Fabrique: « son », not « leur »
    # where the Fabriques are: at their address when a jury of this service knew it (it said
    # « au centre de leur commune » for all)
    assert "placées à leur adresse quand un jury de ce service l'a connue, sinon au centre " \
           "de leur commune" in " ".join(page.split())
    assert "Couverture incalculable" not in page


def test_without_any_fabrique_the_coverage_is_incalculable(tmp_path, data_dir):
    """Communes and contours of the Cantal, no laureate list: nothing is "non pourvu"."""
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"),
                      "RATELIMIT": "off", "DATA_DIR": str(data_dir)})
    engine = app.extensions[EXTENSION]
    try:
        upgrade(engine)
        contours = contours_of(data_dir, ["15"], tmp_path / "contours.geojson")
        for name in ("departements", "communes"):
            load_source(engine, name, data_dir=data_dir, progress=False)
        load_source(engine, "commune-contours", str(contours), progress=False)
        client = app.test_client()
        page = html.unescape(client.get("/reseaux/couverture").text)
        body = client.get("/api/v1/reseaux/couverture").json
    finally:
        engine.dispose()
    assert "Couverture incalculable" in page and "Aucune Fabrique n'est chargée" in page
    assert body["fabriques"] == 0 and body["total"]["uncovered_communes"] == 0
    assert body["total"]["unknown_communes"] == body["total"]["communes"] > 200


def test_one_departement_lists_its_uncovered_communes(real, places_engine):  # noqa: F811
    page = real.get("/reseaux/couverture?departement=15&distance_km=20&measure=point")
    assert page.status_code == 200
    distances = commune_distances(places_engine, "point")
    far = uncovered(distances, 20_000.0, "15")
    shown = table(page.text, "communes")
    assert [cells[1] for cells in shown] == list(distances.codes[far])
    assert "Cantal (15)" in page.text
    assert "/reseaux/couverture.csv?distance_km=20&amp;measure=point&amp;departement=15" \
        in page.text


@pytest.mark.parametrize(("query", "status", "message"), [
    ("distance_km=500", 400, "distance hors limites"),
    ("distance_km=loin", 400, "nombre attendu"),
    ("measure=centroide", 400, "mesure inconnue"),
    ("departement=ZZ", 404, "département inconnu"),
])
def test_bad_coverage_requests_say_why(real, query, status, message):
    page = real.get(f"/reseaux/couverture?{query}")
    assert page.status_code == status and message in page.text
    csv_answer = real.get(f"/reseaux/couverture.csv?{query}")
    assert csv_answer.status_code == status and message in csv_answer.text


# --- JSON API ------------------------------------------------------------------------------

def test_api_network_and_search(real, places_engine):  # noqa: F811
    found = real.get("/api/v1/reseaux/fabriques?q=nice").json["fabriques"]
    assert "fabt-02" in {f["id"] for f in found}
    body = real.get("/api/v1/reseaux/fabriques/fabt-02?rule=distance&distance_km=3").json
    view = network_for(places_engine, "fabt-02", "distance", distance_m=3000)
    assert body["fabrique"]["id"] == "fabt-02" and body["distance_m"] == 3000
    assert [m["id"] for m in body["members"]] == [m.external_id for m in view.members]
    assert body["counts"] == view.counts()
    epci = real.get("/api/v1/reseaux/fabriques/fabt-02").json
    assert epci["rule"] == "epci" and epci["epci"]["name"] == "Métropole Nice Côte d'Azur"


def test_api_coverage(real):
    body = real.get("/api/v1/reseaux/couverture?distance_km=25&departement=48").json
    assert body["threshold_m"] == 25_000 and body["measure"] == "contour"
    assert body["fabriques"] > 300 and body["fabriques_without_location"] == ["fabt-364"]
    assert body["total"]["uncovered_communes"] == sum(
        d["uncovered_communes"] for d in body["departements"])
    lozere = next(d for d in body["departements"] if d["code"] == "48")
    assert len(body["communes"]) == lozere["uncovered_communes"]
    assert real.get("/api/v1/reseaux/couverture").json["communes"] is None


@pytest.mark.parametrize(("url", "status", "parameter"), [
    ("/api/v1/reseaux/fabriques/fabt-999", 404, "fabrique"),
    ("/api/v1/reseaux/fabriques/fabt-02?rule=distance&distance_km=0", 400, "distance_km"),
    ("/api/v1/reseaux/fabriques/fabt-02?kind=x", 400, "kind"),
    ("/api/v1/reseaux/fabriques/fabt-02?rule=x", 400, "rule"),
    ("/api/v1/reseaux/declares/7", 404, "reseau"),
    ("/api/v1/reseaux/couverture?measure=x", 400, "measure"),
    ("/api/v1/reseaux/couverture?departement=ZZ", 404, "departement"),
    ("/api/v1/reseaux/inconnu", 404, None),
])
def test_api_errors_have_the_one_shape(real, url, status, parameter):
    answer = real.get(url)
    assert answer.status_code == status
    error = answer.json["error"]
    assert set(error) == {"status", "code", "message", "parameter"}
    assert error["status"] == status and error["parameter"] == parameter and error["message"]


# --- declared networks: the command, then the pages (each backend) ------------------------

def test_load_command_then_declared_network_pages(client, runner, app, data_dir, tmp_path):
    engine = app.extensions[EXTENSION]
    for name in ("laureates", "manufactures-proximite"):
        load_source(engine, name, data_dir=data_dir, progress=False)
    path = tmp_path / "reseaux.csv"
    path.write_text("reseau,type_reseau,fabrique,type_lieu,id_lieu,role\n"
                    "Réseau d'essai,fabrique,fabt-02,manufacture-proximite,manuprox-1-1,membre\n"
                    "Réseau d'essai,fabrique,fabt-02,manufacture-proximite,manuprox-9,membre\n"
                    "Manufactures du Sud,regional,,manufacture-proximite,manuprox-1-2,\n",
                    encoding="utf-8")

    result = runner.invoke(args=["reseaux", "charger", str(path), "--source", "essai"])

    assert result.exit_code == 0, result.output
    assert "essai" in result.output and "1 × lieu inconnu" in result.output
    networks = client.get("/api/v1/reseaux/declares").json["networks"]
    assert sorted((n["name"], n["kind"], n["members"]) for n in networks) == [
        ("Manufactures du Sud", "regional", 1), ("Réseau d'essai", "fabrique", 2)]
    page = client.get("/reseaux")
    assert "Réseaux déclarés" in page.text and "Manufactures du Sud" in page.text
    declared = client.get("/reseaux?fabrique=fabt-02&rule=declared")
    assert declared.status_code == 200
    rows = table(declared.text, "membres")
    assert len(rows) == 1 and rows[0][1:2] + rows[0][4:] == ["Manufacture de proximité",
                                                              "membre"]
    assert "1 membre déclaré absent" not in declared.text  # manuprox-9 was skipped
    regional = next(n for n in networks if n["kind"] == "regional")
    page = client.get(f"/reseaux?network={regional['id']}")
    assert page.status_code == 200 and len(table(page.text, "membres")) == 1
    assert "L.polyline" not in page.text  # a regional network has no centre
    body = client.get(f"/api/v1/reseaux/declares/{regional['id']}").json
    assert body["fabrique"] is None and body["members"][0]["id"] == "manuprox-1-2"

    broken = tmp_path / "casse.csv"
    broken.write_text("reseau,type_reseau\nX,fabrique\n", encoding="utf-8")
    failed = runner.invoke(args=["reseaux", "charger", str(broken), "--source", "essai"])
    assert failed.exit_code != 0 and "Données précédentes conservées" in failed.output
    assert len(client.get("/api/v1/reseaux/declares").json["networks"]) == 2


def test_pages_on_an_empty_database(client):
    page = client.get("/reseaux")
    assert page.status_code == 200 and "0 Fabrique de position connue" in page.text
    coverage = client.get("/reseaux/couverture")
    assert coverage.status_code == 200 and 'id="departements"' not in coverage.text
    assert client.get("/api/v1/reseaux/couverture").json["departements"] == []
    assert client.get("/api/v1/reseaux/fabriques").json == {"fabriques": []}


# --- the forms: order of the checks, what each reads -----------------------------------------

@pytest.mark.parametrize(("query", "status", "message"), [
    ("fabrique=fabt-02&rule=distance&distance_km=inf", 400,
     "nombre attendu pour distance_km\u00a0: &#39;inf&#39;"),
    ("fabrique=fabt-02&rule=distance&distance_km=1_0", 400,  # float() read 10
     "nombre attendu pour distance_km\u00a0: &#39;1_0&#39;"),
    ("network=abc&rule=distance&distance_km=x&kind=x", 400,
     "numéro de réseau invalide\u00a0: &#39;abc&#39;"),
    ("fabrique=fabt-02&rule=distance&distance_km=x&kind=x", 400,
     "nombre attendu pour distance_km\u00a0: &#39;x&#39;"),
    ("fabrique=fabt-02&rule=voisins&kind=x", 400,
     "type de lieu inconnu\u00a0: &#39;x&#39; (types\u00a0:"),
    ("network=12&rule=distance&distance_km=x", 404, "aucun réseau déclaré"),
    ("fabrique=fabt-02&rule=epci&distance_km=x", 200, None),
    ("kind=x&rule=voisins", 200, None),
])
def test_the_network_form_checks_in_order_only_what_it_reads(real, query, status, message):
    page = real.get(f"/reseaux?{query}")
    assert page.status_code == status
    alert = re.search(r'role="alert".*?</div>', page.text, re.S)
    assert (alert is None) if message is None else (message in alert.group(0))


def test_a_distance_takes_a_decimal_comma_and_spaces(real, places_engine):  # noqa: F811
    page = real.get("/reseaux?fabrique=%20fabt-02%20&rule=distance&distance_km=%202,5")
    assert page.status_code == 200
    view = network_for(places_engine, "fabt-02", "distance", distance_m=2500)
    assert len(table(page.text, "membres")) == len(view.members)
    assert '<option value="fabt-02" selected>' in page.text
    assert 'value=" 2,5"' in page.text  # shown again as typed
    assert view.name.endswith("lieux à moins de 2,5 km")  # « 2.5 km » in a French name
    refused = real.get("/api/v1/reseaux/fabriques/fabt-02?rule=distance&distance_km=0")
    assert refused.status_code == 400  # « 0 km (de 0 à 100 km) » contradicted itself
    assert refused.json["error"]["message"] == (
        "distance hors limites : 0 km (plus de 0 et au plus 100 km)")


@pytest.mark.parametrize(("query", "message", "parameter"), [
    ("distance_km=500&measure=x", "distance hors limites : 500 km", "distance_km"),
    ("distance_km=nan", "nombre attendu pour distance_km : 'nan'", "distance_km"),
    ("distance_km=1e999", "nombre fini attendu pour distance_km", "distance_km"),
    ("distance_km=loin&measure=point", "nombre attendu pour distance_km : 'loin'",
     "distance_km"),
    ("measure=", "mesure inconnue : '' (contour ou point)", "measure"),
])
def test_the_coverage_form_says_why_in_order(real, query, message, parameter):
    page = real.get(f"/reseaux/couverture?{query}")  # the page spaces « : » the French way
    assert page.status_code == 400
    assert message.replace(" :", "\u00a0:") in html.unescape(page.text)
    answer = real.get(f"/api/v1/reseaux/couverture?{query}")  # the JSON keeps plain text
    assert answer.status_code == 400
    assert answer.json["error"] == {"status": 400, "code": "parametre-invalide",
                                    "message": answer.json["error"]["message"],
                                    "parameter": parameter}
    assert message in answer.json["error"]["message"]


def test_a_coverage_error_shows_the_values_as_typed(real):
    page = real.get("/reseaux/couverture?distance_km=loin&departement=%2015")
    assert page.status_code == 400
    assert 'value="loin"' in page.text
    assert '<option value="contour" selected>' not in page.text  # absent: nothing chosen
    assert '<option value="contour" selected>' in real.get("/reseaux/couverture").text


def test_the_api_checks_the_kinds_of_a_declared_network_first(real):
    answer = real.get("/api/v1/reseaux/declares/7?kind=boulangerie")
    assert answer.status_code == 400 and answer.json["error"]["parameter"] == "kind"
    assert answer.json["error"]["message"].startswith("type de lieu inconnu : 'boulangerie'")


def test_the_network_page_counts_the_fabriques_of_the_map(real, places_engine):  # noqa: F811
    """/reseaux offers exactly the located Fabriques /carte shows (both count a Fabrique
    decided and published once)."""
    from geodata.policy import DEFAULT_POLICY, load_policy
    from geodata.storage.laureates import laureate_table

    located = {row["id"] for row in laureate_table(places_engine, load_policy(DEFAULT_POLICY))
               if row["lon"] is not None}
    page = real.get("/reseaux").text
    offered = set(re.findall(r'<option value="(fabt-[^"]+|ds-[^"]+)"', page))
    assert offered == located and len(offered) == 381
    assert f"{len(located)} Fabriques de position connue" in page  # the list, said as such
    carte = html.unescape(real.get("/carte").text)
    total = len(laureate_table(places_engine, load_policy(DEFAULT_POLICY)))
    assert f"{total - len(located)} sans position connue" in carte
