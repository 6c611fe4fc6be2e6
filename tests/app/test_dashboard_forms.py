"""The dashboard's forms: spaces around values, the order of the checks, a posted simulation
with an unknown policy or a padded wave (``app.tableau_de_bord.forms``)."""

from __future__ import annotations

import html
import re

import pytest

from tests.app.conftest import csrf_token
from tests.app.test_dashboard import DASHBOARD, EXPORT, SIMULATION, wave_app  # noqa: F401

pytestmark = pytest.mark.shared_data


def test_parameters_are_read_without_their_spaces(client, login):
    login(client, "ministry")
    page = html.unescape(client.get(f"{DASHBOARD}?policy=%20ami-2019%20&by=%20region%20").text)
    assert '<h2 id="groupes">Par région</h2>' in page
    assert '<option value="ami-2019" selected>' in page
    export = client.get(f"{EXPORT}?policy=ami-2019%20&by=%20wave")
    assert export.status_code == 200
    assert "quotas-ami-2019-wave.csv" in export.headers["Content-Disposition"]
    empty = client.get(f"{EXPORT}?policy=&by=")
    assert "quotas-current-ensemble.csv" in empty.headers["Content-Disposition"]


def test_the_policy_is_checked_before_the_grouping(client, login):
    login(client, "ministry")
    answer = client.get(f"{DASHBOARD}?by=commune&policy=inconnue")
    page = html.unescape(answer.text)
    assert answer.status_code == 400 and "Paramètre invalide" in page
    assert "politique inconnue : 'inconnue' (disponibles : ami-2019, current)" in page
    assert "regroupement" not in page


def test_a_simulation_posted_with_an_unknown_policy_is_refused(client, login):
    login(client, "ministry")
    token = csrf_token(client, SIMULATION)
    answer = client.post(SIMULATION, data={"csrf_token": token, "policy": "inconnue",
                                           "wave": "2024-1", "candidat": ["1"]})
    assert answer.status_code == 400
    assert "politique inconnue : 'inconnue'" in html.unescape(answer.text)


def test_a_posted_wave_is_read_without_its_spaces(wave_app, login):  # noqa: F811
    client = wave_app.test_client()
    login(client, "ministry")
    ids = wave_app.candidate_ids
    token = csrf_token(client, f"{SIMULATION}?wave=%202024-1%20")
    answer = client.post(SIMULATION, data={"csrf_token": token, "policy": " current ",
                                           "wave": " 2024-1 ", "candidat": [str(ids["D-2"])]})
    assert answer.status_code == 200
    page = " ".join(html.unescape(answer.text).split())
    assert "<strong>1</strong> candidature(s) sélectionnée(s) sur 4" in page
    assert re.findall(r'name="candidat" value="(\d+)" checked', page) == [str(ids["D-2"])]
