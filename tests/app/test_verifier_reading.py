"""The verdict as a project holder reads it on /verifier: the programme's words linked to
their definition, the nearest QPV by its name, and what to do when the answer is « à
vérifier »: on the real layers."""

from __future__ import annotations

import html
import re

import pytest

from tests.app.test_api import api_app, client  # noqa: F401 - real layers + local BAN
from tests.ban_server import ban_server_fixture  # noqa: F401

pytestmark = pytest.mark.shared_data

GLOSSARY = {"aide-mot-qpv": "QPV", "aide-mot-proximite-immediate": "proximité immédiate",
            "aide-mot-grand-centre-urbain": "grand centre urbain"}
NEAR = "/verifier?lon=5.4034&lat=43.3305&policy=current"  # 81.8 m from QN01352M
FAR = "/verifier?lon=5.37&lat=43.29&policy=current"  # Marseille, 500.8 m from QN01330M


def verdict_box(page: str) -> str:
    """The verdict's alert, as markup."""
    return re.search(r'<div id="verdict" class="fr-alert.*?</div>', page, re.S).group(0)


def said(markup: str) -> str:
    """Markup as read: tags out, spaces folded, no-break spaces as spaces."""
    text = html.unescape(" ".join(re.sub(r"<[^>]+>", " ", markup).split()))
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def glossary_links(box: str) -> list[tuple[str, str]]:
    """(anchor on /aide, link's whole text) of each link of the box to the glossary."""
    return [(anchor, said(text)) for anchor, text in re.findall(
        r'<a href="/aide#(aide-mot-[\w-]+)">(.*?)</a>', box, re.S)]


@pytest.mark.parametrize(("path", "anchors"), [
    (NEAR, ["aide-mot-qpv", "aide-mot-proximite-immediate"]),
    (FAR, ["aide-mot-qpv", "aide-mot-grand-centre-urbain"]),
    ("/verifier?commune=13055", ["aide-mot-qpv", "aide-mot-grand-centre-urbain"]),
])
def test_the_programme_s_words_link_once_to_their_definition(client, path, anchors):  # noqa: F811
    """« QPV », « proximité immédiate », « grand centre urbain »: a project holder does not
    know them; each is linked at its first use in the verdict, once, its link named as a
    definition; the heading stays a plain heading."""
    box = verdict_box(client.get(path).text)
    links = glossary_links(box)
    assert [anchor for anchor, _ in links] == anchors
    for anchor, text in links:
        assert text.lower().startswith(GLOSSARY[anchor].lower().split()[0])
        assert text.endswith("(définition)")
    assert "<a " not in re.search(r"<h2 .*?</h2>", box, re.S).group(0)
    first = box.index('href="/aide#aide-mot-qpv"')
    assert "QPV" not in said(box[box.index('class="fabriques-decisif"'):first])
    aide = client.get("/aide").text
    for anchor in GLOSSARY:
        assert re.search(rf'<dt id="{anchor}">', aide)


def test_the_nearest_qpv_is_named(client):  # noqa: F811
    """The summary named the nearest QPV by its code only (« QN01330M »), its name being in
    the explanation further down; the API's keys are unchanged."""
    far = said(verdict_box(client.get(FAR).text))
    assert "(le plus proche, QN01330M « Centre Ville 1er et 2e Arrondissements », est à " \
        "500,8 m)" in far
    near = said(verdict_box(client.get(NEAR).text))
    assert "Le lieu est à 81,8 m du QPV QN01352M « Grand Saint Barthélémy », à 300 m ou " \
        "moins" in near
    answer = client.get("/api/v1/eligibility?lon=5.37&lat=43.29").json
    assert "nearest_qpv_name" not in answer and answer["nearest_qpv_code"] == "QN01330M"


def next_step(page: str) -> str:
    """The verdict's « Que faire » as read (its links and emphasis inline), or ""."""
    box = verdict_box(page)
    found = re.search(r'<p class="fabriques-suite[^"]*">(.*?)</p>', box, re.S)
    return said(re.sub(r"</?(?:a|strong)\b[^>]*>", "", found.group(1))) if found else ""


def test_a_place_known_by_its_commune_is_told_to_give_its_address(client):  # noqa: F811
    page = client.get("/verifier?commune=13055").text
    step = next_step(page)
    assert step.startswith("Que faire : donnez l'adresse précise (numéro et rue) ou cliquez "
                           "sur la carte")
    assert 'href="#address"' in verdict_box(page) and 'href="#choix-carte"' in verdict_box(page)
    assert "Sinon, joignez l'attestation à votre dossier ; un instructeur tranchera" in step


def test_a_place_the_data_cannot_decide_is_told_whom_to_ask(client, api_app):  # noqa: F811
    """Toulouse: no 2024 QPV outline loaded for Occitanie, nothing the person can type
    decides it: the attestation goes with the dossier, and a question to the contact."""
    page = client.get("/verifier?lon=1.4205&lat=43.5825&policy=current").text
    step = next_step(page)
    assert step.startswith("Que faire : joignez l'attestation à votre dossier ; un instructeur "
                           "tranchera. Une question :")
    assert step.endswith("Une question : voyez qui contacter.")  # no address set: /aide says
    assert 'href="/aide#aide-contact"' in verdict_box(page)
    assert 'id="aide-contact"' in client.get("/aide").text
    api_app.config["CONTACT_EMAIL"] = "fabriques@anct.example"
    page = client.get("/verifier?lon=1.4205&lat=43.5825&policy=current").text
    assert 'href="mailto:fabriques@anct.example"' in verdict_box(page)
    assert "écrivez à fabriques@anct.example" in next_step(page)


def test_a_place_in_no_commune_is_told_to_check_its_coordinates(client):  # noqa: F811
    step = next_step(client.get("/verifier?lon=5.0&lat=43.0").text)
    assert step.startswith("Que faire : vérifiez la longitude et la latitude")


@pytest.mark.parametrize("path", [NEAR, FAR, "/verifier?lon=4.0605&lat=45.0364&policy=ami-2019"])
def test_a_decided_verdict_has_no_next_step(client, path):  # noqa: F811
    assert next_step(client.get(path).text) == ""


def test_the_measures_and_the_attestation_name_the_nearest_qpv(client):  # noqa: F811
    """The measures' table and the printable attestation give the nearest QPV's name beside
    its code, as the verdict does: a code alone tells a project holder nothing."""
    measures = said(re.search(r"<table.*?</table>", client.get(FAR).text, re.S).group(0))
    assert "QN01330M « Centre Ville 1er et 2e Arrondissements » (500,8 m)" in measures
    attestation = said(client.get(FAR.replace("/verifier?", "/verifier/attestation?")).text)
    assert ("QN01330M « Centre Ville 1er et 2e Arrondissements », à 500,8 m du lieu"
            in attestation)
