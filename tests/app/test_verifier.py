"""The instructors' checker page (/verifier): form, verdict, errors, local assets only."""

from __future__ import annotations

import html
import re

import pytest

from tests.app.test_api import api_app, client  # noqa: F401 - real layers + local BAN
from tests.ban_server import ban_server_fixture  # noqa: F401
from tests.support import assert_rfc7946

pytestmark = pytest.mark.shared_data


def test_empty_form_is_accessible(client):  # noqa: F811
    page = client.get("/verifier")
    assert page.status_code == 200
    html = page.text
    for field in ("address", "lon", "lat", "policy"):
        assert re.search(rf'<label class="fr-label" for="{field}"', html)
        assert f'id="{field}"' in html
    assert 'lang="fr"' in html and 'href="#contenu"' in html
    assert "Verdict" not in html


def test_coordinates_give_the_verdict_and_its_components(client):  # noqa: F811
    page = client.get("/verifier?lon=5.4034&lat=43.3305&policy=current")
    assert page.status_code == 200
    html = page.text
    assert "Territoire éligible\u00a0: en QPV ou à sa proximité immédiate" in html
    assert "QN01352M" in html and "Marseille" in html
    assert "<caption>Ce qui a été mesuré" in html
    assert "Lien permanent" in html and "lon=5.4034" in html
    assert "priorité au QPV" in html and "priorité : qpv" not in html  # words, not a code


def test_the_explanation_keeps_its_signs_to_their_word_on_the_page_only(client):  # noqa: F811
    """A phone wrapped the explanation before its colon (« … QPV » then « : à sa
    proximité »): the page holds them with a no-break space; the API's JSON keeps the
    engine's words as they are."""
    page = client.get("/verifier?lon=5.4034&lat=43.3305&policy=current").text
    assert "moins d'un QPV\u00a0: à sa proximité immédiate" in html.unescape(page)
    assert "Territoire éligible\u00a0: en QPV" in page and "(5,40340\u202f; 43,33050)" in page
    answer = client.get("/api/v1/eligibility?lon=5.4034&lat=43.3305").json["explanation"]
    assert "moins d'un QPV : à sa proximité" in answer and "\u00a0:" not in answer


def test_address_shows_the_geocoder_match(client):  # noqa: F811
    page = client.get("/verifier", query_string={"address": "8 Boulevard du Port 80000 Amiens"})
    assert page.status_code == 200
    assert "Adresse trouvée" in page.text and "score faible" in page.text
    text = " ".join(page.text.split())
    assert "trouvée au numéro" in text and "numéro non trouvé" not in text


def test_an_address_found_at_the_street_says_so(client):  # noqa: F811
    page = client.get("/verifier", query_string={"address": "Avenue de Saint-Just 13013 Marseille"})
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "trouvée à la voie (son centre)" in text
    assert "numéro non trouvé : le lieu est le centre de la voie" in text
    assert "type street" not in text


@pytest.mark.parametrize(("query", "status", "message"), [
    ("lon=abc&lat=43", 400, "La longitude doit être un nombre"),
    ("lon=5.4", 400, "Indiquez aussi la latitude"),
    ("lon=-30&lat=40", 422, "aucun territoire"),
    ("lon=2&lat=46&policy=2030", 400, "Politique inconnue"),
    ("address=rue%20imaginaire%20de%20nulle%20part", 400, "introuvable"),
])
def test_errors_are_explained_on_the_page(client, query, status, message):  # noqa: F811
    page = client.get(f"/verifier?{query}")
    assert page.status_code == status
    assert 'role="alert"' in page.text and message in page.text


def test_no_asset_comes_from_another_site(client):  # noqa: F811
    html = client.get("/verifier?lon=5.4034&lat=43.3305").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and not [s for s in sources if s.startswith(("http:", "https:", "//"))]
    for asset in [s for s in sources if s.startswith("/static/")]:
        with client.get(asset) as response:
            assert response.status_code == 200, asset


def test_attestation_is_dated_with_policy_and_data_versions(client):  # noqa: F811
    page = client.get("/verifier/attestation?lon=5.4034&lat=43.3305&policy=ami-2019")
    assert page.status_code == 200
    html = page.text
    assert re.search(r"Établie le \d\d/\d\d/\d{4} à \d\d:\d\d", html)
    # the rules' code, said as such: the verification link (and the API) names them by it
    assert '(QPV 2015, proximité immédiate' in html and "identifiant" not in html
    assert 'code des règles : <span id="code-regles">ami-2019</span>, repris par le lien ' \
        "de vérification" in " ".join(html.split()) and "policy=ami-2019" in html
    assert re.search(r"longitude\s+5,40340\u202f; latitude 43,33050", html)
    # Marseille under the 2015 list: only Occitanie's 2015 outlines are loaded, so they are
    # not cited; the attestation says none covers the place, and cites what decided.
    assert "qpv2015-occitanie" not in html
    assert "les contours des QPV 2015 ne sont pas tous chargés pour Provence-Alpes-Côte " \
           "d&#39;Azur (région 93)" in html
    assert "Contours des communes et arrondissements municipaux" in html and "sha256:" in html
    current = client.get("/verifier?lon=5.4034&lat=43.3305&policy=current").text
    # where a source is complete, by the région's name (« la région 93 » before)
    assert "complète pour la région Provence-Alpes-Côte d&#39;Azur (93)" in current


def test_the_data_column_names_the_datasets_by_their_titles(client):  # noqa: F811
    page = client.get("/verifier?lon=5.4034&lat=43.3305&policy=current").text
    text = html.unescape(" ".join(page.split()))
    assert "population légale INSEE (COG 2026)" in text
    assert "Grille communale de densité à 7 niveaux (INSEE) (COG 2025)" in text
    assert "QPV 2024, région Provence-Alpes-Côte d'Azur (Carto-Santé PACA) (complète pour la " \
        "région Provence-Alpes-Côte d'Azur (93), chargée le" in text
    # a title that holds its vintage does not say it twice
    assert "EPCI à fiscalité propre et leurs communes membres (COG 2026)" in text
    assert "(COG 2026) (COG 2026)" not in text
    attestation = html.unescape(client.get(
        "/verifier/attestation?lon=5.4034&lat=43.3305&policy=current").text)
    assert '<th scope="row">QPV 2024, région Provence-Alpes-Côte d\'Azur (Carto-Santé ' \
        'PACA)</th>' in attestation
    # the keys were the names people read: « densite (COG 2025) », « qpv2024-paca (2024) »
    for key in ("densite", "centralite", "commune-contours", "qpv2024-paca"):
        assert f"{key} (" not in text and f">{key}<" not in attestation
    # they stay the identifiers of the API
    assert "qpv2024-paca" in {d["source"] for d in client.get("/api/v1/datasets").json[
        "datasets"]}


def test_attestation_of_a_point_in_occitanie_cites_occitanie_outlines(client):  # noqa: F811
    html = client.get("/verifier/attestation?lon=1.4442&lat=43.6047&policy=ami-2019").text
    assert "QPV 2015, région Occitanie (Hackaviz 2021)" in html
    assert "Toulouse (code INSEE 31555)" in html
    assert "qpv2024" not in html and "qpv2015-ille-et-vilaine" not in html


def test_attestation_needs_a_location(client):  # noqa: F811
    page = client.get("/verifier/attestation")
    assert page.status_code == 400 and "Attestation impossible" in page.text


def test_verdict_links_to_its_attestation(client):  # noqa: F811
    html = client.get("/verifier?lon=5.4034&lat=43.3305").text
    assert "/verifier/attestation?" in html and "Attestation imprimable" in html


def test_small_map_data_is_in_the_page_and_local(client):  # noqa: F811
    import json

    html = client.get("/verifier?lon=5.4034&lat=43.3305").text
    data = re.search(r'<script type="application/json" id="carte-donnees">(.*?)</script>',
                     html, re.S)
    assert data and 'role="img"' in html and "vendor/leaflet/leaflet.js" in html
    document = json.loads(data.group(1))
    assert_rfc7946(document, polygons="MultiPolygon")
    features = document["features"]
    kinds = {f["properties"]["kind"]: f for f in features}
    assert set(kinds) == {"commune", "band", "qpv", "location"}
    assert "QN01352M" in kinds["qpv"]["properties"]["label"]
    assert kinds["location"]["geometry"]["coordinates"] == [5.4034, 43.3305]
    # the band is the QPV buffered by D in metres: it holds the point, 81.8 m away
    import shapely.geometry

    band = shapely.geometry.shape(kinds["band"]["geometry"])
    assert band.contains(shapely.geometry.Point(5.4034, 43.3305))
    assert not shapely.geometry.shape(kinds["qpv"]["geometry"]).contains(
        shapely.geometry.Point(5.4034, 43.3305))


def test_attestation_is_fit_for_an_applicant_file(client):  # noqa: F811
    page = client.get("/verifier/attestation", query_string={
        "lon": "5.4034", "lat": "43.3305", "policy": "current",
        "dossier": "FT-2026-<b>042</b>", "projet": "La Fabrique du Grand Saint-Barthélémy"})
    assert page.status_code == 200
    html = page.text
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Référence du dossier FT-2026-&lt;b&gt;042&lt;/b&gt;" in text  # escaped
    assert "Projet La Fabrique du Grand Saint-Barthélémy" in text
    assert "Commune Marseille (code INSEE 13055)" in text
    assert "QPV le plus proche QN01352M « Grand Saint Barthélémy », à 81,8 m du lieu" in text
    # only the datasets that decided, each with its full checksum
    sums = re.findall(r'<code class="fabriques-somme">(sha256:[0-9a-f]{64})</code>', html)
    assert len(sums) >= 5
    assert "QPV 2024, région Provence-Alpes" in html and "QPV 2015" not in html
    assert "QPV 2024 : communes de chaque quartier" not in html
    # the permanent link re-checks the same query, without the dossier's fields
    link = re.search(r'<a href="(http://localhost/verifier\?[^"]+)"', html).group(1)
    assert "lon=5.4034" in link and "lat=43.3305" in link and "policy=current" in link
    assert "dossier" not in link
    assert client.get(link.replace("http://localhost", "").replace("&amp;", "&")).status_code \
        == 200


@pytest.mark.parametrize(("field", "length", "message"), [
    ("dossier", 61, "Référence du dossier\u00a0: 60 caractères au plus"),
    ("projet", 151, "Nom du projet\u00a0: 150 caractères au plus"),
])
def test_attestation_fields_are_length_limited(client, field, length, message):  # noqa: F811
    page = client.get("/verifier/attestation", query_string={
        "lon": "5.4034", "lat": "43.3305", field: "x" * length})
    assert page.status_code == 400 and message in page.text
    assert "Attestation impossible" in page.text and f"<dd>{'x' * length}" not in page.text


def test_attestation_outside_the_outlines_says_none_is_loaded(client):  # noqa: F811
    html = client.get("/verifier/attestation?lon=2.5734&lat=44.3506").text  # Rodez
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Commune Rodez (code INSEE 12202)" in text
    assert "indéterminé : les contours des QPV 2024 ne sont pas tous chargés pour Occitanie " \
        "(région 76)" in text
    assert "Carto-Santé PACA" not in html
    assert "QPV 2024 : communes de chaque quartier (ANCT)" in html


def test_a_chosen_commune_is_checked_at_commune_precision(client):  # noqa: F811
    page = client.get("/verifier?commune=12202")
    assert page.status_code == 200
    assert "lieu connu seulement à la commune" in page.text and "Rodez" in page.text
    assert client.get("/verifier?commune=99999").status_code == 400
    assert 'aria-invalid="true"' in client.get("/verifier?commune=abc").text


def test_a_place_known_by_its_commune_is_never_said_far_from_every_qpv(client):  # noqa: F811
    """Marseille at commune precision: the certificate said « aucun QPV 2024 à moins de
    5 000 m » (and the map « aucun contour de QPV chargé ») while Marseille holds dozens."""
    for path in ("/verifier/attestation?commune=13055", "/verifier?commune=13055"):
        text = html.unescape(" ".join(re.sub(r"<[^>]+>", " ", client.get(path).text).split()))
        assert "Marseille" in text and "à moins de 5 000 m" not in text
        assert "indéterminé : lieu connu seulement par sa commune : la distance à un QPV " \
            "n'est pas mesurée" in text
    exact = client.get("/verifier/attestation?lon=2.5734&lat=44.3506").text  # Rodez, exact
    assert "lieu connu seulement par sa commune" not in exact


def field_value(page: str, name: str) -> str:
    return html.unescape(re.search(rf'id="{name}" name="{name}" value="([^"]*)"', page)[1])


def test_after_a_verdict_the_form_is_blank_for_another_place(client):  # noqa: F811
    """The coordinates stayed in « Vérifier un autre lieu »: an address typed there went
    with them, to a page asking « Adresse ou coordonnées ? »."""
    page = client.get("/verifier?lon=5,4034&lat=43,3305").text

    assert "Territoire éligible" in page
    assert [field_value(page, name) for name in ("address", "lon", "lat")] == ["", "", ""]
    centre = html.unescape(re.search(r'data-centre="([^"]*)"', page)[1])
    assert centre == "[5.4034, 43.3305]"  # the choice map opens around the last place


def test_an_error_keeps_what_was_typed_and_reads_as_a_sentence(client):  # noqa: F811
    page = client.get("/verifier?lon=abc&lat=43,3305").text
    assert (field_value(page, "lon"), field_value(page, "lat")) == ("abc", "43,3305")
    assert "par exemple 5,4034" in page and "data-centre" not in page

    unknown = client.get("/verifier?lon=5.4&lat=43.3&policy=xyz").text
    assert "<p>Politique inconnue\u00a0: " in html.unescape(unknown)


def test_the_undecided_list_says_which_condition_was_decided(client):  # noqa: F811
    """Marseille at commune precision: « Une condition n'a pas pu être décidée : » above a
    « Décidé : Marseille est un grand centre urbain » bullet (as seen: the words linked to
    their definition say so to a screen reader only)."""
    page = re.sub(r'<span class="fr-sr-only">[^<]*</span>', "",
                  client.get("/verifier?commune=13055").text)
    text = html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))
    assert "Une condition n'a pas pu être décidée, l'autre l'a été : QPV : indéterminé" in text
    assert "Décidé : Marseille est un grand centre urbain" in text


def test_the_undecided_urban_half_says_what_is_missing(client):  # noqa: F811
    """At sea off Marseille, no commune: the summary said « faute de données pour la
    commune (commune de niveau 1 …) », as if there were a commune and that level were the
    missing data."""
    text = html.unescape(" ".join(re.sub(r"<[^>]+>", " ", client.get(
        "/verifier?lon=5.0&lat=43.0").text).split()))
    assert ("Grand centre urbain ou non : indéterminé, le lieu n'est dans aucune commune "
            "connue (grand centre urbain : commune de niveau 1 de la grille") in text
    assert "faute de données" not in text


def test_each_criterion_cites_the_data_it_reads_once(client):  # noqa: F811
    """The six sources of the commune's facts were cited on each of its four rows (about
    13 lines a row on a phone, the density grid beside « membre d'une métropole »): each
    row cites what it reads, and a row reading what the row above read says so."""
    page = client.get("/verifier?lon=5.4034&lat=43.3305&policy=current").text
    table = page[page.index('class="fabriques-mesures"'):page.index("</table>")]
    cells = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", row.split("<td>")[-1])).split())
             for row in table.split("<tr>")[2:]]
    commune, in_qpv, nearest, near, density, metropole, urban, _ = cells
    assert commune.startswith("Contours des communes") and "Communes et arrondissements" in commune
    assert "Grille communale" not in commune and "EPCI" not in commune
    assert (nearest, near) == ("mêmes données que ci-dessus",) * 2 and "QPV 2024" in in_qpv
    assert density.startswith("Grille communale de densité") and " ; " not in density
    assert metropole.startswith("EPCI à fiscalité propre") and " ; " not in metropole
    assert urban.startswith("Grille communale de densité")  # today's rules read the grid
    ami = client.get("/verifier?lon=5.4034&lat=43.3305&policy=ami-2019").text
    table = ami[ami.index('class="fabriques-mesures"'):ami.index("</table>")]
    assert "mêmes données que ci-dessus" in table.split("<tr>")[8]  # the métropoles, again


def test_with_the_ban_down_a_street_s_last_word_is_a_commune_to_confirm(client, ban_server):  # noqa: F811
    """« 8 bd du port » was checked at Port (Ain), the street's last word taken for the
    commune with only a warning: the person confirms it, or adds the postal code."""
    ban_server.fail_next(10, status=500)
    page = client.get("/verifier", query_string={"address": "8 bd du port"})
    assert page.status_code == 200
    said = " ".join(html.unescape(page.text).split())
    assert "Confirmez la commune" in said and "« Port » peut être le dernier mot" in said
    assert 'href="/verifier?commune=01307' in page.text
    assert "lieu pris au centre de la commune" not in said  # nothing checked yet


def test_with_the_ban_down_a_postal_code_alone_is_not_taken_for_an_insee_code(client, ban_server):  # noqa: F811
    """« 13013 » gave a green verdict and an attestation for Belcodène (INSEE 13013) to a
    centre social in Marseille's 13th arrondissement (postal code 13013): the person
    chooses between the communes the code may name (postal codes of the shared COG file)."""
    ban_server.fail_next(10, status=500)
    page = client.get("/verifier", query_string={"address": "13013"})
    said = " ".join(html.unescape(page.text).split())
    assert "« 13013 » est le code postal ou le code INSEE de plusieurs communes" in said
    assert 'href="/verifier?commune=13055' in page.text  # Marseille, by post
    assert 'href="/verifier?commune=13013' in page.text  # Belcodène, by INSEE code
    assert "lieu pris au centre de la commune" not in said  # nothing checked yet


def test_with_the_ban_down_a_commune_is_found_by_its_departement(client, ban_server):  # noqa: F811
    """« Saint-Denis La Réunion » offered only La Réunion (Lot-et-Garonne, 47222)."""
    ban_server.fail_next(10, status=500)
    page = client.get("/verifier", query_string={"address": "Saint-Denis La Réunion"})
    said = " ".join(html.unescape(page.text).split())
    assert "lieu pris au centre de la commune Saint-Denis (97411)" in said
    assert "47222" not in said


@pytest.mark.parametrize(("commune", "kind", "said"), [
    ("05100", "info", "lieu connu seulement à la commune : ce verdict vaut pour tout lieu de "
                      "la commune"),  # Pelleautier: far from any QPV, decided
    ("13055", "warning", "à vérifier : lieu connu seulement à la commune"),  # Marseille
])
def test_a_verdict_decided_at_a_commune_is_not_marked_to_check(client, commune, kind, said):  # noqa: F811
    """« Territoire éligible » in green above a red « À vérifier : lieu connu seulement à la
    commune »: a person could not tell whether she was eligible."""
    page = html.unescape(client.get(f"/verifier?commune={commune}").text).replace("\xa0", " ")
    assert f'<span class="fr-badge fr-badge--{kind}">{said}</span>' in page
