"""The dashboard's form: spaces around values, the order of the checks
(``app.tableau_de_bord.forms``)."""

from __future__ import annotations

import html
import re

import pytest

from tests.app.test_dashboard import DASHBOARD, EXPORT
from tests.forms_sent import sent

pytestmark = pytest.mark.shared_data


def test_parameters_are_read_without_their_spaces(client, login):
    login(client, "ministry")
    page = html.unescape(client.get(f"{DASHBOARD}?policy=%20ami-2019%20&by=%20region%20").text)
    assert '<h2 id="groupes">Par région</h2>' in page
    assert '<option value="ami-2019" selected>' in page
    export = client.get(f"{EXPORT}?policy=ami-2019%20&by=%20wave")
    assert export.status_code == 200
    assert "quotas-ami-2019-par-vague.csv" in export.headers["Content-Disposition"]
    empty = client.get(f"{EXPORT}?policy=&by=")
    assert "quotas-current-ensemble.csv" in empty.headers["Content-Disposition"]


def test_the_policy_is_checked_before_the_grouping(client, login):
    login(client, "ministry")
    answer = client.get(f"{DASHBOARD}?by=commune&policy=inconnue")
    page = html.unescape(answer.text)
    assert answer.status_code == 400 and "Paramètre invalide" in page
    assert "Politique inconnue : « inconnue » (disponibles : ami-2019, current)" in \
        page.replace("\u00a0", " ")
    assert "regroupement" not in page


def lecture(page: str) -> str:
    """The paragraph under the headline figures, its spaces collapsed."""
    found = re.search(r'<p [^>]*id="lecture">(.*?)</p>', page, re.S)
    assert found, "no reading paragraph"
    return " ".join(found.group(1).split())


def test_the_first_screen_says_under_which_rules_the_first_waves_were_chosen(client, login):
    """The default rules are the current ones; the laureates of 2019-2022 were chosen under
    the AMI 2019's, and « cible dépassée » depends on which: the reading says so and links
    to the same table under those rules, the grouping kept."""
    login(client, "ministry")
    current = lecture(html.unescape(client.get(f"{DASHBOARD}?by=region").text))
    assert "Les lauréates des vagues 2019 à 2022 ont été choisies selon d'autres règles, et " \
        "les nombres en dépendent" in current
    link = re.search(r'href="([^"]+)">voir le tableau selon « AMI 2019 : QPV 2015 et hors des '
                     r'22 métropoles »</a>', current)
    assert link and link.group(1) == f"{DASHBOARD}?policy=ami-2019&by=region"

    ami = lecture(html.unescape(client.get(link.group(1)).text))
    assert "Les lauréates des vagues 2019 à 2022 ont été choisies selon ces règles." in ami
    assert "voir le tableau selon" not in ami  # no other rules name waves of their own


@pytest.mark.parametrize("changed, name", [
    ({"policy": "ami-2019", "by": "wave"}, "quotas-ami-2019-par-vague.csv"),
    ({"by": ""}, "quotas-current-ensemble.csv"),
])
def test_the_export_takes_the_rules_and_grouping_on_screen(client, login, changed, name):
    """« AMI 2019 » and « Par vague » chosen, « Exporter » pressed without « Afficher »:
    the file was ``quotas-current-ensemble.csv``. It sends the form as it stands."""
    login(client, "ministry")
    page = html.unescape(client.get(f"{DASHBOARD}?by=region").text)
    answer = client.get(sent(page, "choix", "Exporter le tableau en CSV (tableur)", **changed))
    assert answer.status_code == 200 and name in answer.headers["Content-Disposition"]
    direct = client.get(f"{EXPORT}?policy={changed.get('policy', '')}&by={changed['by']}")
    assert answer.data == direct.data
    assert client.get(sent(page, "choix", "Afficher", **changed)).status_code == 200
    assert client.get(f"{EXPORT}?by=wave&x=1").status_code == 200  # an unknown field: no 400


@pytest.mark.parametrize("query, said", [
    ("policy=AMI2019", "Politique inconnue : « AMI2019 » (disponibles : ami-2019, current)"),
    ("by=commune", "Regroupement inconnu : « commune » (possibles : vague, région, département)"),
])
def test_a_refused_parameter_is_quoted_in_guillemets_without_codes(client, login, query,
                                                                    said):
    """« 'AMI2019' » in Python's quotes, « vague « wave » » naming the code of a French word."""
    login(client, "ministry")
    for path in (DASHBOARD, EXPORT):
        answer = client.get(f"{path}?{query}")
        assert answer.status_code == 400
        assert said in html.unescape(answer.text).replace("\u00a0", " ")


@pytest.mark.parametrize("word, title, name", [
    ("vague", "Par vague", "par-vague"), ("Vague", "Par vague", "par-vague"),
    ("région", "Par région", "par-region"), ("region", "Par région", "par-region"),
    ("département", "Par département", "par-departement"),
    ("departement", "Par département", "par-departement"),
])
def test_the_groupings_french_names_are_accepted(client, login, word, title, name):
    """The form says « Par vague »: ``?by=vague`` was « regroupement inconnu »."""
    login(client, "ministry")
    page = html.unescape(client.get(f"{DASHBOARD}?by={word}").text)
    assert f'<h2 id="groupes">{title}</h2>' in page
    export = client.get(f"{EXPORT}?by={word}")
    assert f"quotas-current-{name}.csv" in export.headers["Content-Disposition"]
