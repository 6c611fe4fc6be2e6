"""The dashboard's form: spaces around values, the order of the checks
(``app.tableau_de_bord.forms``)."""

from __future__ import annotations

import html

import pytest

from tests.app.test_dashboard import DASHBOARD, EXPORT

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
