# ruff: noqa: F811 - the fixtures of test_jury_pages, imported, are named as arguments
"""Closing a jury session from a page that is no longer the session's (another tab decided
or cancelled since): refused, the page shown again as it is now (the BAN local, the
hand-made wave of ``tests/data/dossiers``, as ``test_jury_pages``)."""

from __future__ import annotations

import html
import re

import pytest

from geodata.storage.jury import close_session, decide, jury_sessions
from geodata.storage.laureates import fabrique_count
from tests.app.conftest import followed
from tests.app.test_jury_pages import (  # noqa: F401
    JURY,
    MARSEILLE,
    bouches_du_rhone,
    post,
    text,
    wave,
)
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server

pytestmark = pytest.mark.shared_data


def test_a_closing_from_a_page_that_showed_other_decisions_is_refused(wave, client, login):
    """A page opened with one decision, another taken in a second tab, then « Clore » on the
    first page: the session closed with a decision its closer never saw, locked for good."""
    login(client)
    decide = {"vague": "2", "motivation": "Motif du jury", "confirme": "oui"}
    post(client, "/instruction/jury/decisions", numero=["1234505"], vers="laureat", **decide)
    first_tab = client.get(JURY).text
    seen = re.search(r'name="decisions_vues" value="(\w+)"', first_tab).group(1)
    assert "1 décision ne pourra plus être annulée" in html.unescape(first_tab)
    post(client, "/instruction/jury/decisions", numero=["1234515"], vers="laureat", **decide)

    stale = followed(client, post(client, "/instruction/jury/cloture", vague="2",
                                  membres="Mme A (DGCL)", confirme="oui", decisions_vues=seen))

    assert jury_sessions(wave, "2")[0].closed_at is None
    said = html.unescape(stale.text)
    assert "des décisions ont été prises ou annulées depuis" in said
    assert "2 décisions ne pourront plus être annulées" in said  # the page as it is now
    assert not re.search(r'id="confirme-cloture"[^>]*checked', said)  # to tick again
    unstamped = post(client, "/instruction/jury/cloture", vague="2", membres="Mme A (DGCL)",
                     confirme="oui")  # a form without the stamp (a page of before) as well
    assert followed(client, unstamped).status_code == 200
    assert jury_sessions(wave, "2")[0].closed_at is None
    again = re.search(r'name="decisions_vues" value="(\w+)"', stale.text).group(1)
    post(client, "/instruction/jury/cloture", vague="2", membres="Mme A (DGCL)",
         confirme="oui", decisions_vues=again)
    assert jury_sessions(wave, "2")[0].closed_at is not None


def test_a_session_whose_decisions_were_all_reversed_is_not_closed(wave, client, login,
                                                                    runner):
    """Every decision reversed, the page said « 0 décision, annulable jusqu'à la clôture »
    and offered the closing (« 0 décision ne pourra plus être annulée »), which recorded an
    empty « Session n° 1 close »; the command line closed it as well."""
    login(client)
    post(client, "/instruction/jury/decisions", numero=["1234505"], vers="laureat",
         vague="2", motivation="Motif du jury", confirme="oui")
    post(client, "/instruction/jury/annulation", numero=["1234505"], vague="2",
         motivation="Erreur de saisie")

    page = " ".join(html.unescape(client.get(JURY).text).split())
    assert "aucune décision en vigueur (toutes ont été annulées), rien à clore" in page
    assert 'id="cloture"' not in page and "0 décision" not in page
    refused = followed(client, post(client, "/instruction/jury/cloture", vague="2",
                                    membres="Mme A (DGCL)", confirme="oui"))
    assert ("Session non close\u00a0: la session n° 1 de la vague 2 n'a aucune décision en "
            "vigueur (toutes ont été annulées)") in html.unescape(refused.text)
    command = runner.invoke(args=["dossiers", "cloturer", "--vague", "2", "--membres", "Mme A"])
    assert command.exit_code == 1 and "rien à clore" in command.output
    assert jury_sessions(wave, "2")[0].closed_at is None
    post(client, "/instruction/jury/decisions", numero=["1234505"], vers="laureat",
         vague="2", motivation="Motif du jury", confirme="oui")  # the session takes it
    assert [s.id for s in jury_sessions(wave, "2")] == [1]
    assert 'id="cloture"' in client.get(JURY).text


def test_the_data_page_says_how_the_jury_s_laureates_join_the_published_list(wave, client):
    """/donnees listed « 382 Fabriques lauréates » (the published list) and « 3 Fabriques
    lauréates » (the juries'), read as 385, where the home page, the map, the API and the
    dashboard said 383: two of the jury's laureates are published Fabriques, counted once."""
    decide(wave, MARSEILLE, "laureat", "Retenus", "jury")
    close_session(wave, "2", "Mme A (DGCL)", "jury")
    total = fabrique_count(wave)
    page = text(client.get("/donnees"))
    published = int(re.search(r"<td>(\d+) Fabriques lauréates</td>", page).group(1))
    assert total == published + 1
    assert "<td>3 Fabriques lauréates : 1 nouvelle, 2 déjà dans la liste publiée (comptées " \
           "une fois)</td>" in page
    assert (f"En tout, {total} Fabriques lauréates en service, chacune comptée une fois comme "
            f"sur la carte, l'API et le tableau de bord : {published} de la liste publiée et 1 "
            "décidée par les jurys de ce service. Sur 3 lauréates des jurys, 2 sont des "
            "Fabriques de la liste publiée, comptées une fois.") in page
    assert f"{total} Fabriques lauréates sont chargées" in text(client.get("/"))
