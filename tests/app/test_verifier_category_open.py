"""A place eligible whatever its undecided condition says (a commune outside large urban
centres, its QPV half unknown) is headlined eligible, only its category open; a place that
may still be non-eligible keeps « Éligibilité à vérifier »: on the real layers."""

from __future__ import annotations

import html
import re

import pytest

from tests.app.test_api import api_app, client  # noqa: F401 - real layers + local BAN
from tests.ban_server import ban_server_fixture  # noqa: F401

pytestmark = pytest.mark.shared_data

TO_SETTLE = ("Territoire éligible\u00a0: catégorie à préciser (QPV ou hors des grands centres "
             "urbains)")


def verdict_box(page: str) -> tuple[str, str, str]:
    """The alert's tone, its heading and its text as seen (spaces folded; the words linked
    to their definition say so to a screen reader only)."""
    page = re.sub(r'<span class="fr-sr-only">[^<]*</span>', "", page)
    box = re.search(r'<div id="verdict" class="fr-alert fr-alert--(\w+).*?</div>', page,
                    re.S)
    heading = re.search(r'<h2 id="verdict-titre"[^>]*>([^<]+)</h2>', box.group(0)).group(1)
    said = " ".join(re.sub(r"<[^>]+>", " ", html.unescape(box.group(0))).split())
    return box.group(1), html.unescape(heading), said


def test_a_place_outside_large_urban_centres_is_eligible_its_category_open(client):  # noqa: F811
    """Saint-Julien-Chapteuil (Haute-Loire) under the AMI 2019 rules: outside the 22
    métropoles, no 2015 QPV outline loaded for its région. It was an orange « Éligibilité à
    vérifier » saying itself the place was eligible either way."""
    page = client.get("/verifier?lon=4,0605&lat=45,0364&policy=ami-2019")
    assert page.status_code == 200
    assert page.json is None and "Saint-Julien-Chapteuil" in page.text
    tone, heading, said = verdict_box(page.text)
    assert (tone, heading) == ("info", TO_SETTLE)
    assert html.unescape(page.text).count(f"<title>{TO_SETTLE} — ") == 1
    assert ("Éligible dans les deux cas : Saint-Julien-Chapteuil est hors des grands centres "
            "urbains ; seule la catégorie reste à préciser, selon le QPV") in \
        said.replace("\u00a0", " ").replace("\u202f", " ")
    assert "Décidé" not in said  # said once, short enough for a phone's first screen
    assert "QPV : indéterminé" in said.replace("\u00a0", " ")
    assert "Éligibilité à vérifier" not in page.text
    api = client.get("/api/v1/eligibility?lon=4.0605&lat=45.0364&policy=ami-2019").json
    assert api["category"] == "a-verifier"  # the contract's code is unchanged


def test_a_place_that_may_be_non_eligible_stays_to_check(client):  # noqa: F811
    """Toulouse under the current rules: a large urban centre, no 2024 QPV outline loaded
    for Occitanie: eligible in a QPV only, which is not known."""
    page = client.get("/verifier?lon=1.4205&lat=43.5825&policy=current")
    tone, heading, said = verdict_box(page.text)
    assert (tone, heading) == ("warning", "Éligibilité à vérifier")
    assert "dans les deux cas" not in said and "à préciser" not in said
    assert "tout dépend donc du QPV" in said


def test_the_help_says_an_undecided_place_may_be_eligible_either_way(client):  # noqa: F811
    said = " ".join(html.unescape(client.get("/aide").text).split())
    assert "éligible dans les deux cas : le verdict dit « Territoire éligible : catégorie à " \
        "préciser »" in said.replace("\u00a0", " ")


def test_the_attestation_says_eligible_its_category_open(client):  # noqa: F811
    """The printable attestation said « à vérifier : une condition n'a pas pu être décidée »
    for Saint-Julien-Chapteuil while the page said it eligible either way."""
    page = " ".join(html.unescape(client.get(
        "/verifier/attestation?lon=4,0605&lat=45,0364&policy=ami-2019").text).split())
    assert ("<dt>Verdict</dt> <dd><strong>éligible, catégorie à préciser (QPV ou hors des grands "
            "centres urbains)</strong>") in page
    toulouse = html.unescape(client.get(
        "/verifier/attestation?lon=1.4205&lat=43.5825&policy=current").text)
    assert "catégorie à préciser" not in toulouse
