"""Every route of the application answers, on the real reference data, for an anonymous
visitor and for every role: no 500 anywhere. A new route must be given an example here."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from tests.app.conftest import PASSWORD, csrf_token
from tests.support import close_app, make_app, temporary_account

pytestmark = pytest.mark.shared_data

JOB = "00000000-0000-4000-8000-000000000000"
EXAMPLES = {
    "/": ["/"],
    "/donnees": ["/donnees"],
    "/aide": ["/aide"],
    "/aide/api": ["/aide/api"],
    "/accessibilite": ["/accessibilite"],
    "/mentions-legales": ["/mentions-legales"],
    "/donnees-personnelles": ["/donnees-personnelles"],
    "/sante": ["/sante"],
    "/verifier": ["/verifier", "/verifier?lon=5.4034&lat=43.3305", "/verifier?lon=x&lat=1"],
    "/verifier/attestation": ["/verifier/attestation?lon=5.4034&lat=43.3305"],
    "/verifier/lot": ["/verifier/lot"],
    "/verifier/lot/<uuid:job_id>": [f"/verifier/lot/{JOB}"],
    "/verifier/lot/<uuid:job_id>/etat": [f"/verifier/lot/{JOB}/etat"],
    "/verifier/lot/<uuid:job_id>/resultat.csv": [f"/verifier/lot/{JOB}/resultat.csv"],
    "/verifier/lot/<uuid:job_id>/relancer": [],  # POST only
    "/verifier/lot/<uuid:job_id>/dossiers": [],  # POST only
    "/carte": ["/carte", "/carte?categorie=x&z=99"],
    "/fabriques/<fabrique_id>": ["/fabriques/fabt-02", "/fabriques/fabt-109",
                                 "/fabriques/inconnue", "/fabriques/fabt-364"],
    "/fabriques/<fabrique_id>/livrables": [],  # POST only
    "/reseaux": ["/reseaux", "/reseaux?fabrique=fabt-12&rule=distance&distance_km=12"],
    "/reseaux/couverture": ["/reseaux/couverture", "/reseaux/couverture?departement=05"],
    "/reseaux/couverture.csv": ["/reseaux/couverture.csv"],
    "/connexion": ["/connexion"],
    "/deconnexion": [],  # POST only
    "/instruction/historique": ["/instruction/historique"],
    "/instruction/historique.csv": ["/instruction/historique.csv"],
    "/instruction/historique.xlsx": ["/instruction/historique.xlsx"],
    "/instruction/dossiers": ["/instruction/dossiers", "/instruction/dossiers?etat=x",
                              "/instruction/dossiers?vague=2&tri=raison_sociale&page=3"],
    "/instruction/dossiers.csv": ["/instruction/dossiers.csv?vague=2"],
    "/instruction/dossiers.xlsx": ["/instruction/dossiers.xlsx?vague=2"],
    "/instruction/dossiers/<int:number>": ["/instruction/dossiers/1"],
    # the POST-only addresses of the instruction: a GET leads to the form's page
    "/instruction/dossiers/etat": ["/instruction/dossiers/etat"],
    "/instruction/dossiers/<int:number>/avis": ["/instruction/dossiers/1/avis"],
    "/instruction/dossiers/<int:number>/reverifier": ["/instruction/dossiers/1/reverifier"],
    "/instruction/dossiers/import": ["/instruction/dossiers/import"],
    "/instruction/dossiers/<int:number>/courrier": ["/instruction/dossiers/1/courrier"],
    "/instruction/jury": ["/instruction/jury", "/instruction/jury?vague=x"],
    "/instruction/jury/decisions": ["/instruction/jury/decisions"],
    "/instruction/jury/annulation": ["/instruction/jury/annulation"],
    "/instruction/jury/cloture": ["/instruction/jury/cloture"],
    "/instruction/jury/correspondance": ["/instruction/jury/correspondance"],
    "/instruction/jury/courriers": ["/instruction/jury/courriers?vague=2"],
    "/tableau-de-bord": ["/tableau-de-bord", "/tableau-de-bord?by=region"],
    "/tableau-de-bord/export.csv": ["/tableau-de-bord/export.csv"],
    "/api/v1/eligibility": ["/api/v1/eligibility?lon=5.4034&lat=43.3305"],
    "/api/v1/eligibility/batch": [],  # POST only
    "/api/v1/policies": ["/api/v1/policies"],
    "/api/v1/datasets": ["/api/v1/datasets"],
    "/api/v1/openapi.json": ["/api/v1/openapi.json"],
    "/api/v1/couches/<layer>": ["/api/v1/couches/qpv?bbox=5,43,6,44&zoom=9"],
    "/api/v1/fabriques": ["/api/v1/fabriques", "/api/v1/fabriques?format=csv"],
    "/api/v1/fabriques/proches": ["/api/v1/fabriques/proches?lon=2.35&lat=48.85",
                                  "/api/v1/fabriques/proches?q=15014&n=3",
                                  "/api/v1/fabriques/proches?lon=0&lat=0"],
    "/api/v1/reseaux/fabriques": ["/api/v1/reseaux/fabriques?q=a"],
    "/api/v1/reseaux/fabriques/<fabrique>": ["/api/v1/reseaux/fabriques/fabt-12"],
    "/api/v1/reseaux/declares": ["/api/v1/reseaux/declares"],
    "/api/v1/reseaux/declares/<int:network_id>": ["/api/v1/reseaux/declares/1"],
    "/api/v1/reseaux/couverture": ["/api/v1/reseaux/couverture"],
    "/ogc/": ["/ogc", "/ogc/?f=html"],
    "/ogc/conformance": ["/ogc/conformance"],
    "/ogc/api": ["/ogc/api"],
    "/ogc/collections": ["/ogc/collections"],
    "/ogc/collections/<collection_id>": ["/ogc/collections/qpv2024", "/ogc/collections/x"],
    "/ogc/collections/<collection_id>/schema": ["/ogc/collections/fabriques/schema",
                                                "/ogc/collections/x/schema"],
    "/ogc/collections/<collection_id>/items": [
        "/ogc/collections/communes/items?bbox=5.3,43.25,5.45,43.35&limit=5",
        "/ogc/collections/qpv2015/items?offset=abc"],
    "/ogc/collections/<collection_id>/items/<path:feature_id>": [
        "/ogc/collections/fabriques/items/fabt-02", "/ogc/collections/lieux/items/x"],
    "/static/<path:filename>": ["/static/fabriques.css", "/static/carte.js", "/static/lot.js",
                                "/static/jury.js", "/static/francais.js",
                                "/static/reseaux.css", "/static/tableau-de-bord.css"],
}


@pytest.fixture
def app(reference_engine, tmp_path, data_dir):
    app = make_app(reference_engine.url.render_as_string(hide_password=False),
                   tmp_path / "instance", data_dir, RATELIMIT="off")
    yield app
    close_app(app)


def test_every_route_has_an_example(app):
    assert {rule.rule for rule in app.url_map.iter_rules()} == set(EXAMPLES)


@pytest.fixture
def account(reference_engine):
    """``account(role) -> email``: an account of that role, in the shared reference database
    for this test only (removed afterwards)."""
    with ExitStack() as stack:
        yield lambda role: stack.enter_context(temporary_account(
            reference_engine, role, role, departements=["13"] if role == "prefecture"
            else None))


@pytest.mark.parametrize("role", [None, "instructor", "ministry", "prefecture", "admin"])
def test_every_route_answers_without_a_server_error(app, account, role):
    client = app.test_client()
    if role:
        email = account(role)
        answer = client.post("/connexion", data={"email": email,
                                                 "password": PASSWORD,
                                                 "csrf_token": csrf_token(client)})
        assert answer.status_code == 302
    answers = {}
    for url in (url for urls in EXAMPLES.values() for url in urls):
        with client.get(url) as answer:  # closes the static files' streams
            answers[url] = answer.status_code
    assert {url: status for url, status in answers.items() if status >= 500} == {}
    assert answers["/verifier?lon=5.4034&lat=43.3305"] == 200
    assert answers["/tableau-de-bord"] == {None: 302, "instructor": 403, "prefecture": 403}.get(
        role, 200)
    assert answers["/instruction/dossiers"] == {None: 302}.get(role, 200)
    assert answers["/fabriques/fabt-02"] == 200 and answers["/fabriques/inconnue"] == 404
    assert answers["/instruction/dossiers/import"] == (
        200 if role in ("instructor", "admin") else 302 if role is None else 403)
