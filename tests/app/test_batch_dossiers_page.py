"""A finished checker's batch (``/verifier/lot``) made into the dossiers of a wave from its
page, on both backends: the wave chosen, bad choices refused, the report on screen, a second
time changes nothing, another instructor's job is not reachable. The commune outlines of two
départements are loaded (real data); the geocoder is the local fake BAN."""

from __future__ import annotations

import html
import io
import time

import pytest

from app.db import EXTENSION
from app.verifier.executor import shutdown
from geodata.storage.dossiers import list_dossiers
from loaders.pipeline import load_source
from tests.app.conftest import csrf_token
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server
from tests.support import close_app, contours_of, make_app

pytestmark = pytest.mark.shared_data


@pytest.fixture
def ban_app(database_url, tmp_path, data_dir, ban_server):
    """The app whose geocoder is the local fake BAN, with the outlines of the Bouches-du-Rhône
    communes."""
    app = make_app(database_url, tmp_path / "instance", data_dir, GEOCODER_URL=ban_server.url)
    load_source(app.extensions[EXTENSION], "commune-contours",
                str(contours_of(data_dir, ["13"], tmp_path / "contours_13.geojson")),
                progress=False)
    yield app
    shutdown(app, wait=True)
    close_app(app)


BATCH = "id;lon;lat\n1234505;5,38391;43,295313\nfabulerie;5,4;43,3\n"


def finished_batch(client, text: str) -> str:
    """Upload ``text`` on /verifier/lot, wait for its job to end; the job's address."""
    token = csrf_token(client, "/verifier/lot")
    answer = client.post("/verifier/lot", content_type="multipart/form-data", data={
        "csrf_token": token, "policy": "current",
        "file": (io.BytesIO(text.encode()), "vague2.csv")})
    job = answer.headers["Location"]
    deadline = time.monotonic() + 300  # a guard against a hung job, not a speed claim
    while client.get(job + "/etat").json["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, "le lot ne s'est pas terminé"
        time.sleep(0.1)
    return job


def test_a_finished_batch_becomes_dossiers_of_a_wave(ban_app, login):
    engine = ban_app.extensions[EXTENSION]
    client = ban_app.test_client()
    login(client)
    job = finished_batch(client, BATCH)
    offer = html.unescape(client.get(job).text)
    assert "Créer les dossiers d'une vague" in offer and '<option value="2">' in offer

    def create(wave: str, to=client):
        return to.post(job + "/dossiers", data={"csrf_token": csrf_token(to, job),
                                                "vague": wave})

    for wave, said in (("", "Choisissez la vague"), ("99", "vague inconnue")):
        refused = create(wave)
        assert refused.status_code == 400 and said in html.unescape(refused.text)
    assert list_dossiers(engine) == []

    made = " ".join(html.unescape(create("2").text).split())
    assert "1 créé," in made and "1 ligne écartée" in made
    assert "numéro du dossier sur Démarches Simplifiées" in made
    assert 'href="/instruction/dossiers?vague=2"' in made
    (dossier,) = list_dossiers(engine)
    assert (dossier.number, dossier.wave, dossier.commune_code) == (1234505, "2", "13055")
    again = " ".join(html.unescape(create("2").text).split())
    assert "1 déjà présent laissé tel quel" in again
    # the button it names exists (it named one that did not)
    assert "le bouton « Vérifier de nouveau » de la page de chaque dossier" in again
    assert "Vérifier de nouveau avec les données du jour" in html.unescape(
        client.get("/instruction/dossiers/1234505").text)

    other = ban_app.test_client()
    login(other)  # another instructor: the job is not theirs
    assert create("2", other).status_code == 404
