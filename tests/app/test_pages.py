"""The home page and the health check, before and after a load."""

import re
from datetime import UTC, datetime

import pytest
from flask import render_template_string

from app import create_app

pytestmark = pytest.mark.shared_data


def test_home_page_says_when_nothing_is_loaded(client, runner):
    runner.invoke(args=["db", "upgrade"])
    for path in ("/", "/donnees"):
        page = client.get(path)
        assert page.status_code == 200
        assert 'lang="fr"' in page.text
        assert "Aucune donnée chargée" in page.text


def test_home_page_leads_each_audience_to_its_page(client, runner):
    runner.invoke(args=["db", "upgrade"])
    page = client.get("/").text
    assert "<h1>Fabriques de Territoire&nbsp;: éligibilité et carte</h1>" in page
    for tile, href in (("acces-verifier", "/verifier"), ("acces-lot", "/verifier/lot"),
                       ("acces-carte", "/carte"), ("acces-reseaux", "/reseaux"),
                       ("acces-dossiers", "/instruction/dossiers"),
                       ("acces-tableau", "/tableau-de-bord")):
        assert re.search(rf'id="{tile}">.*?<a href="{href}">', page, re.S), tile
    assert "Source</th>" not in page  # the inventory has its own page
    assert 'href="/donnees"' in page


@pytest.mark.parametrize(("role", "hidden"), [
    ("ministry", {"acces-lot"}), ("instructor", {"acces-tableau"})])
def test_signed_in_the_home_page_shows_only_the_tiles_the_account_may_use(
        client, runner, login, role, hidden):
    """The ministry's « Vérifier un lot » tile led to « Accès refusé »."""
    runner.invoke(args=["db", "upgrade"])
    login(client, role)

    page = client.get("/").text

    shown = set(re.findall(r'id="(acces-[a-z]+)"', page))
    assert shown == {"acces-verifier", "acces-lot", "acces-carte", "acces-reseaux",
                     "acces-dossiers", "acces-tableau"} - hidden
    for tile in shown - {"acces-carte", "acces-reseaux", "acces-verifier"}:
        href = re.search(rf'id="{tile}">.*?<a href="([^"]+)">', page, re.S)[1]
        assert client.get(href).status_code == 200, (role, href)


def test_the_header_names_the_account_as_text_not_as_a_button(client, runner, login):
    """The e-mail was a ``span.fr-btn``: drawn as a button, neither a link nor focusable."""
    runner.invoke(args=["db", "upgrade"])
    email = login(client, "ministry")

    header = client.get("/").text.split("<header", 1)[1].split("</header>", 1)[0]

    shown = re.search(r"<li>(<[^>]+>)<span class=\"fr-sr-only\">Compte connecté\s: </span>"
                      + re.escape(email), header)
    assert shown and "fr-btn" not in shown[1] and shown[1].startswith("<p ")


def test_an_empty_history_tells_each_role_what_it_can_do(client, runner, login):
    """The ministry read of a form it never sees."""
    runner.invoke(args=["db", "upgrade"])
    login(client, "ministry")

    page = client.get("/instruction/historique").text

    assert "Aucune vérification enregistrée pour l'instant." in page
    assert "Les instructeurs l'enregistrent après chaque vérification" in page
    assert "Enregistrer dans l'historique du dossier" not in page


def test_the_data_page_lists_loaded_versions_in_french(client, runner):
    # The QPV list and the outlines prove the layer complete for the région it claims.
    for source in ("regions", "departements", "communes", "commune-contours", "qpv2024-communes",
                   "qpv2024-paca", "laureates"):
        assert runner.invoke(args=["load", source, "--quiet"]).exit_code == 0

    page = client.get("/donnees").text

    assert "QPV 2024, région Provence-Alpes-Côte d&#39;Azur" in page
    assert "135 quartiers prioritaires (QPV)" in page and "135 qpv" not in page
    # the coverage named: « 93 » is also Seine-Saint-Denis
    assert "la région Provence-Alpes-Côte d&#39;Azur (93)" in page and "région 93" not in page
    assert "Quartiers prioritaires (contours)" in page
    assert "382 Fabriques lauréates" in page and "laureates<" not in page
    assert "34\u202f912 contours de communes" in page
    # the counts say what they count: entries of the COG, pairs of a QPV and a commune
    assert "37\u202f006 communes et entités du COG (déléguées, associées, arrondissements)" \
        in page
    assert "1\u202f684 couples quartier prioritaire–commune" in page
    assert 'href="/donnees"\n              aria-current="page"' in page
    assert "382 Fabriques lauréates sont chargées" in " ".join(client.get("/").text.split())


def test_the_data_page_gives_the_load_time_in_paris_time(app, client, runner):
    """A load at 22:17 in Paris (21:17 UTC in winter, stored in UTC) said « 21:17 »."""
    from sqlalchemy import update

    from app.db import get_engine
    from geodata.storage.models import DatasetVersion

    assert runner.invoke(args=["load", "regions", "--quiet"]).exit_code == 0
    with app.app_context(), get_engine().begin() as connection:
        connection.execute(update(DatasetVersion).values(
            loaded_at=datetime(2026, 12, 6, 21, 17, tzinfo=UTC)))
    page = client.get("/donnees").text
    assert "<td>06/12/2026 22:17</td>" in page and "21:17" not in page
    with app.test_request_context():  # and the date alone, past midnight in Paris
        shown = render_template_string('{{ t|heure_paris("%d/%m/%Y") }}',
                                       t=datetime(2026, 7, 31, 22, 30, tzinfo=UTC))
    assert shown == "01/08/2026"


def test_health_needs_a_schema(tmp_path):
    """A new embedded instance has no schema until ``db upgrade`` (or a load) makes it."""
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "neuve")})
    client = app.test_client()
    health = client.get("/sante")
    assert health.status_code == 503 and health.json == {"status": "schéma absent", "datasets": 0}
    assert "La base de données n'est pas encore créée" in client.get("/").text

    created = app.test_cli_runner().invoke(args=["db", "upgrade"])

    answer = client.get("/sante")
    assert answer.status_code == 200 and answer.json == {"status": "ok", "datasets": 0}
    assert (tmp_path / "neuve" / "fabriques.sqlite3").is_file()
    # it said « Schéma à jour » when it had just made the schema
    assert created.output.startswith("Schéma créé (migration 0")
    again = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert again.output.startswith("Schéma déjà à jour (migration 0")


@pytest.mark.parametrize(("method", "url", "status", "title"), [
    ("GET", "/nulle-part", 404, "Page introuvable"),
    ("POST", "/carte", 405, "Méthode non permise"),
    ("GET", "/carte?x=" + "a" * 20_000, 414, "Adresse trop longue"),
    ("GET", "/" + "a" * 20_000, 414, "Adresse trop longue"),
])
def test_http_errors_are_french_pages(client, method, url, status, title):
    page = client.open(url, method=method)
    assert page.status_code == status and page.mimetype == "text/html"
    assert 'lang="fr"' in page.text and f"<h1>{title}</h1>" in page.text
    if status == 405:
        assert set(page.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_an_unexpected_error_is_a_french_page_or_the_api_shape(tmp_path):
    """A view that fails (made up here: no route of the service is known to) gives the
    French 500 page, or the API's JSON shape under /api/v1, never Flask's English page."""
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "RATELIMIT": "off"})

    def fails():
        raise RuntimeError("panne de test")

    app.add_url_rule("/panne", view_func=fails)
    app.add_url_rule("/api/v1/panne", view_func=fails, endpoint="api_panne")
    client = app.test_client()
    page = client.get("/panne")
    assert page.status_code == 500 and "<h1>Erreur interne</h1>" in page.text
    assert "panne de test" not in page.text  # nothing of the cause leaks
    answer = client.get("/api/v1/panne")
    assert answer.status_code == 500
    assert answer.json["error"]["code"] == "http-500" and "panne" not in answer.text


def test_a_missing_value_prints_nothing_never_none(app):
    """``{{ value }}`` of None in any template: nothing, not the word « None » (the map's
    list once showed « None (97801) »); numbers, False and zero print as they are."""
    from flask import render_template_string

    with app.test_request_context():
        shown = render_template_string("[{{ a }}|{{ b }}|{{ c }}|{{ d|tojson }}]",
                                       a=None, b=0, c=False, d=None)
    assert shown == "[|0|False|null]"


def test_french_quotes_hold_their_words_but_typed_text_is_printed_as_typed(app):
    """On a phone, a « ended a line and its word began the next one. The templates' own
    quotes and the code's messages hold their words; what a person typed, sent back in a
    form, keeps its plain spaces (a motivation « Pièces « complètes » » saved as typed)."""
    from flask import render_template_string
    from markupsafe import Markup

    typed = "Pièces « complètes »"
    with app.test_request_context():
        shown = render_template_string(
            "Politique «\n  {{ title }} » ; {{ message|phrase }} ; {{ why|guillemets }} ; "
            '<input value="{{ typed }}"> ; {{ link|guillemets }}',
            title="AMI 2019", message="de « Déposé », on ne passe pas à « Recevable »",
            why=None, typed=typed, link=Markup('<a href="/x">« lien »</a>'))
    assert shown == ("Politique «\u00a0AMI 2019\u00a0»\u202f; De «\u00a0Déposé\u00a0», on ne "
                     "passe pas à «\u00a0Recevable\u00a0»\u202f; \u202f; "
                     '<input value="Pièces « complètes »">\u202f; '
                     '<a href="/x">«\u00a0lien\u00a0»</a>')


def test_french_signs_keep_to_their_word_but_code_is_left_alone(app):
    """On a phone, a « : » began a line (« … QPV » then « : à sa proximité »). Before « : » a
    no-break space, before « ; ! ? » a narrow one, in the templates' text and the code's
    messages; never in a template's tags, scripts, styles or code, a URL, a time, a typed
    value, and never where the text had no space."""
    from flask import render_template_string

    source = ('<p title="a : b" style="c:d">Commune : {{ why|guillemets }} ; oui ! {{ ask|phrase }}'
              ' {{ typed }}</p><style>a :hover { b : c }</style><script>x = a ? b : c;</script>'
              '<code>a : b</code>{% if 1 != 2 %}https://x.fr/?q=1 à 11:05{% endif %}')
    with app.test_request_context():
        shown = render_template_string(source, why="QPV : à sa proximité", ask="déjà ?",
                                       typed="Pièces : complètes ?")
    assert shown == ('<p title="a : b" style="c:d">Commune\u00a0: QPV\u00a0: à sa proximité'
                     '\u202f; oui\u202f! Déjà\u202f? Pièces : complètes ?</p>'
                     '<style>a :hover { b : c }</style><script>x = a ? b : c;</script>'
                     '<code>a : b</code>https://x.fr/?q=1 à 11:05')
