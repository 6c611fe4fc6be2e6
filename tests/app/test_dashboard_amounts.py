"""The dashboard's amounts read what they are: « inconnu » for Fabriques without a known
amount, « aucune Fabrique décidée » for a line without any, never a bare « 0 € »."""

from __future__ import annotations

import html
import re

import pytest

from geodata.policy import load_policy
from geodata.quotas import LINE_KINDS, quota_table
from geodata.storage.fabriques import laureate_records
from tests.app.test_dashboard import DASHBOARD, reference_client  # noqa: F401

pytestmark = pytest.mark.shared_data


def test_known_amounts_say_unknown_or_no_fabrique_never_a_bare_zero(reference_client,  # noqa: F811
                                                                    reference_engine):
    """« non éligible » read « inconnu » (Fabriques, none with a known amount) and « dont
    FNT » « 0 € » (no FNT decided): the second reads « aucune Fabrique décidée »."""
    policy = load_policy("current")
    expected = quota_table(laureate_records(reference_engine, policy), policy)
    body = re.search(r'<table id="tableau-ensemble"[^>]*>(.*?)</table>',
                     html.unescape(reference_client.get(DASHBOARD).text), re.S).group(1)
    cells = dict(re.findall(r'<tr data-category="([^"]+)".*?<td class="montants[^"]*">([^<]*)</td>',
                            body, re.S))
    assert set(cells) == set(LINE_KINDS)
    for kind in LINE_KINDS:
        line = expected.line(kind)
        if not line.min:
            assert cells[kind] == "aucune Fabrique décidée"
        else:
            assert cells[kind] == "inconnu" if line.funding_eur is None else "€" in cells[kind]
    assert not expected.line("fnt").min and cells["fnt"] == "aucune Fabrique décidée"


def test_the_exact_lines_are_not_read_as_decided_fabriques(reference_client,  # noqa: F811
                                                           reference_engine):
    """The « à vérifier » line's count sat under « Min (décidées) », as if decided; it and
    the total are exact (as the CLI says): one cell across the min and max columns says so."""
    policy = load_policy("current")
    expected = quota_table(laureate_records(reference_engine, policy), policy)
    body = re.search(r'<table id="tableau-ensemble"[^>]*>(.*?)</table>',
                     html.unescape(reference_client.get(DASHBOARD).text), re.S).group(1)
    rows = dict(re.findall(r'<tr data-category="([^"]+)"[^>]*>(.*?)</tr>', body, re.S))
    undetermined, total = expected.line("a-verifier").min, expected.line("total").min
    assert undetermined > 0
    first = {kind: tuple(part.replace("\u00a0", " ") for part in re.search(
        r"<td([^>]*)>([^<]*)</td>", row).groups()) for kind, row in rows.items()}
    assert first["a-verifier"] == (
        ' colspan="2" class="fabriques-table__phrase"',
        f"{undetermined:,}".replace(",", "\u202f") + " (nombre exact, catégorie non décidée)")
    assert first["total"][0].startswith(' colspan="2"')
    assert first["total"][1].endswith("(nombre exact, décidées et « à vérifier »)")
    assert first["qpv"][0] == ""  # a range: its min and max in their columns
    assert "Min (décidées)" in body and total > undetermined
