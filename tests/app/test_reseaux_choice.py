"""Choosing the Fabrique on ``/reseaux`` when no network is shown yet: a search that found
several or none, « Afficher le réseau » with nothing chosen. An outside audit of the public
pages found the page reloaded with the focus at its top and nothing said: the matches only
as options of a list further down, no alert for none, the same page again for no choice."""

from __future__ import annotations

import html
import re

import pytest

from tests.app.test_reseaux import real  # noqa: F401 - the app over the real data
from tests.networks_data import places_engine  # noqa: F401

pytestmark = pytest.mark.shared_data


def said(page) -> tuple[str, str, str]:
    """(the field the page focuses, the role and the words of the sentence tied to it)."""
    field = re.search(r'getElementById\("(\w+)"\);\s+field\.scrollIntoView', page.text).group(1)
    sentence = re.search(r'id="reseau-choix" role="(\w+)">([^<]*)<', html.unescape(page.text))
    return field, sentence.group(1), " ".join(sentence.group(2).split())


def test_several_found_are_said_and_the_list_focused(real):  # noqa: F811
    page = real.get("/reseaux?q=Marseille&action=chercher")
    assert page.status_code == 200
    field, role, sentence = said(page)
    assert (field, role) == ("fabrique", "status")
    count = html.unescape(page.text).count('<option value="fabt-')
    assert count > 1 and sentence.startswith(f"{count} Fabriques pour « Marseille »")
    assert 'aria-describedby="reseau-choix"' in page.text


def test_none_found_is_an_error_on_the_search(real):  # noqa: F811
    page = real.get("/reseaux?q=zzzz&action=chercher")
    assert page.status_code == 400
    field, role, sentence = said(page)
    assert (field, role) == ("q", "alert") and "ne répond à « zzzz »" in sentence
    assert 'aria-invalid="true" aria-describedby="reseau-choix"' in page.text


def test_showing_with_nothing_chosen_says_to_choose(real):  # noqa: F811
    page = real.get("/reseaux?q=&fabrique=&rule=epci&action=afficher")
    assert page.status_code == 400
    assert said(page)[:2] == ("fabrique", "alert")
    assert real.get("/reseaux?kind=x&rule=voisins").status_code == 200  # a link: nothing read
    assert "reseau-choix" not in real.get("/reseaux").text
