"""The rules behind the categories and the quotas, named on the pages that show them: the
jury of a wave counts its quotas under the wave's rules (the calendar's ``politique``: AMI
2019 for wave 2) and opens its session with them; the jury page and the dossiers' list say
which rules their « Catégorie » column follows.

The wave is the hand-made one of ``tests/data/dossiers``, imported as ``test_jury_pages``
does (under the current rules: an import given the rules by hand).
"""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import update

from app.instruction.rules_said import categories_rules
from geodata.storage.dossier_models import Dossier
from geodata.storage.jury import jury_sessions
from tests.app.test_jury_pages import (  # noqa: F401 - the wave's fixtures
    JURY,
    MARSEILLE,
    bouches_du_rhone,
    post,
    text,
)
from tests.app.test_jury_pages import wave as jury_wave  # noqa: F401
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server

pytestmark = pytest.mark.shared_data

AMI = "« AMI 2019 : QPV 2015 et hors des 22 métropoles »"
CURRENT = "« Règles actuelles : QPV 2024 et grille communale de densité »"


def said(page: str, element: str) -> str:
    """The text of the element of id ``element`` (a paragraph, or a caption's line), spaces
    made plain."""
    found = re.search(rf'id="{element}"[^>]*>(.*?)</(?:p|span)>', page, re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).split())


def caption(page: str) -> str:
    found = re.search(r'id="quotas-jury"[^>]*>\s*<caption>(.*?)</caption>', page, re.S)
    return " ".join(html.unescape(found.group(1)).split())


def test_the_jury_counts_its_quotas_under_the_rules_of_its_wave(jury_wave, client, login):  # noqa: F811
    login(client)
    page = client.get(JURY).text
    assert caption(page) == f"Quotas du programme, comptés selon les règles de la vague 2, {AMI}"
    # imported under today's rules: both are said, not the quotas' alone
    assert said(page, "regles-categories") == (
        f"Catégories selon les règles {CURRENT}, celles de l'import de ces dossiers, et non "
        f"celles de la vague 2, {AMI}.")


def test_a_first_decision_opens_the_session_under_the_rules_of_its_wave(jury_wave, client, login):  # noqa: F811
    login(client)
    asked = post(client, "/instruction/jury/decisions", numero=["1234515"], vers="laureat",
                 motivation="Ancrage", vague="2")
    assert "comptés selon les règles de la vague 2" in text(asked)
    post(client, "/instruction/jury/decisions", numero=["1234515"], vers="laureat",
         motivation="Ancrage", vague="2", confirme="oui")
    assert [s.policy for s in jury_sessions(jury_wave, "2")] == ["ami-2019"]


def test_the_lists_name_the_rules_of_their_categories(jury_wave, client, login):  # noqa: F811
    login(client, role="ministry")
    with jury_wave.begin() as connection:
        connection.execute(update(Dossier).values(policy="ami-2019"))
    assert said(client.get(JURY).text, "regles-categories") == \
        f"Catégories selon les règles de la vague 2, {AMI}."
    assert said(client.get("/instruction/dossiers?vague=2").text, "regles-categories") == \
        f"Catégories selon les règles de la vague 2, {AMI}."
    with jury_wave.begin() as connection:
        connection.execute(update(Dossier).where(Dossier.number == MARSEILLE[0])
                           .values(policy="current"))
    assert said(client.get("/instruction/dossiers?vague=2").text, "regles-categories") \
        .startswith(f"Catégories selon les règles avec lesquelles chaque dossier a été vérifié"
                    f" ({AMI} pour ")


def test_mixed_rules_are_said_dossier_by_dossier():
    assert categories_rules(["ami-2019", "current", "current"], "2", "ami-2019") == (
        f"Catégories selon les règles avec lesquelles chaque dossier a été vérifié ({AMI} pour "
        f"1 dossier, {CURRENT} pour 2 dossiers) : la page d'un dossier dit les siennes.")
    assert categories_rules([], "2", "ami-2019") == ""
    assert categories_rules(["gone"]) == "Catégories selon les règles « gone »."
