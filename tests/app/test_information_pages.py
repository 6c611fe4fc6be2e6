"""The pages every public service owes its users, reached from every page's footer: help
(what the verdicts mean, with each policy's own figures), the accessibility statement, the
legal notice and personal data; the contact the operator sets; the verdict's heading says
« éligible » or « non éligible » first."""

from __future__ import annotations

import html
import re

import pytest

from app.settings import unset_before_opening
from geodata.policy import DEFAULT_POLICY, available_policies, load_policy
from tests.app.test_api import api_app, client  # noqa: F401 - real layers + local BAN
from tests.ban_server import ban_server_fixture  # noqa: F401
from tests.support import close_app, make_app

PAGES = {"/aide": "Aide\u00a0: lire un verdict", "/accessibilite": "Déclaration d'accessibilité",
         "/mentions-legales": "Mentions légales", "/donnees-personnelles": "Données personnelles",
         "/aide/api": "L'API du service"}


def text(answer) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", answer.text)).split())


@pytest.fixture
def bare_app(tmp_path, data_dir):
    app = make_app(f"sqlite:///{tmp_path / 'vide.sqlite'}", tmp_path / "instance", data_dir)
    yield app
    close_app(app)


@pytest.mark.parametrize("path", PAGES)
def test_each_page_is_in_every_footer_and_answers_in_french(bare_app, path):
    web = bare_app.test_client()
    home = web.get("/").text
    footer = home[home.index('<footer'):]
    assert f'href="{path}"' in footer
    page = web.get(path)
    assert page.status_code == 200 and 'lang="fr"' in page.text
    assert html.unescape(re.search(r"<h1>([^<]+)</h1>", page.text).group(1)) == PAGES[path]


def test_the_statement_and_the_footer_say_the_same_conformity(bare_app):
    web = bare_app.test_client()
    assert "Accessibilité : non conforme" in text(web.get("/"))
    statement = text(web.get("/accessibilite"))
    assert "est non conforme au référentiel général" in statement
    assert "Défenseur des droits" in statement


def test_the_api_page_lists_the_routes_of_the_openapi_document(bare_app):
    """The footer's « API » opened the raw OpenAPI JSON: the page says what the API gives,
    each route of the document with its summary, and links the document for tools."""
    web = bare_app.test_client()
    answer = web.get("/aide/api")
    page, read = answer.text, text(answer)
    document = web.get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert f"<dt><code>{method.upper()} {html.escape(path)}</code></dt>" in page
            assert f"{method.upper()} {path} {' '.join(operation['summary'].split())}" in read
    assert 'href="/api/v1/openapi.json"' in page and "/ogc" in page


def test_help_gives_each_policys_own_figures(bare_app):
    page = text(bare_app.test_client().get("/aide"))
    for policy in map(load_policy, available_policies()):
        row = re.search(re.escape(policy.title) + r" (\d{4}) ([\d\u202f ]+) m ", page)
        assert row, policy.title
        assert row.group(1) == policy.qpv_vintage
        assert int(re.sub(r"\D", "", row.group(2))) == round(policy.proximity_m)
        assert policy.describe_urban_rule() in page
    quotas = load_policy(DEFAULT_POLICY).quotas
    assert f"« QPV » du programme ({quotas.qpv} Fabriques, dont {quotas.fnt} Fabriques" in page


def test_the_contact_is_the_operators_or_said_missing(bare_app, tmp_path, data_dir):
    for path in ("/aide", "/accessibilite", "/mentions-legales", "/donnees-personnelles"):
        page = bare_app.test_client().get(path).text
        assert "L'adresse de contact n'est pas encore renseignée" in html.unescape(page)
        assert "FABRIQUES_" not in page  # a setting's name is for the operator, not the public
    assert "L'hébergeur n'est pas encore renseigné par l'exploitant du service." in text(
        bare_app.test_client().get("/mentions-legales"))
    assert unset_before_opening(bare_app.config) == ["FABRIQUES_CONTACT_EMAIL",
                                                     "FABRIQUES_HOSTING"]
    set_up = make_app(f"sqlite:///{tmp_path / 'vide.sqlite'}", tmp_path / "instance2",
                      data_dir, CONTACT_EMAIL="fabriques@anct.example",
                      HOSTING="Hébergeur Exemple, 1 rue de l'Exemple, Paris")
    try:
        web = set_up.test_client()
        for path in ("/aide", "/accessibilite", "/mentions-legales", "/donnees-personnelles"):
            page = web.get(path).text
            assert 'href="mailto:fabriques@anct.example"' in page
            assert "FABRIQUES_CONTACT_EMAIL" not in page
        legal = text(web.get("/mentions-legales"))
        assert "Hébergeur Exemple, 1 rue de l'Exemple, Paris" in legal
        assert unset_before_opening(set_up.config) == []
    finally:
        close_app(set_up)


@pytest.mark.shared_data
@pytest.mark.parametrize(("lon", "lat", "heading"), [
    (5.4034, 43.3305, "Territoire éligible\u00a0: en QPV ou à sa proximité immédiate"),
    (5.327005, 43.355476, "Territoire non éligible\u00a0: ni en QPV ni à proximité, dans un grand "
                          "centre urbain"),  # Marseille, 456 m from the nearest QPV
    (1.4205, 43.5825, "Éligibilité à vérifier"),  # no 2024 outline loaded for Occitanie
])
def test_the_verdict_says_eligible_or_not_first(client, lon, lat, heading):  # noqa: F811
    page = client.get(f"/verifier?lon={lon}&lat={lat}&policy=current")
    shown = re.search(r'<h2 id="verdict-titre"[^>]*>([^<]+)</h2>', page.text).group(1)
    assert html.unescape(shown) == heading
    assert html.unescape(page.text).count(f"<title>{heading} — ") == 1
    help_link = re.search(r'<p class="fr-text--sm" id="verdict-aide"><a href="([^"]+)"',
                          page.text)
    assert help_link.group(1) == "/aide"  # under the verdict, where its reader is


def test_help_says_what_each_role_does_and_the_login_page_links_to_it(bare_app):
    """A préfecture agent or a ministry officer new to the service: the login page said only
    « l'historique des vérifications », and the help nothing of the avis or the quotas."""
    web = bare_app.test_client()
    login = web.get("/connexion").text
    assert 'href="/aide#aide-instruction"' in login
    aide = web.get("/aide").text
    section = aide[aide.index('id="aide-instruction"'):aide.index('id="aide-contact"')]
    roles = re.findall(r"<dt>(.*?)</dt>", section)
    assert roles == ["Instructeurs", "Préfectures", "Ministère"]
    said = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section)).split())
    assert "l'avis (favorable, réservé ou défavorable) avec un texte obligatoire" in said
    assert "Le tableau de bord des quotas" in said
