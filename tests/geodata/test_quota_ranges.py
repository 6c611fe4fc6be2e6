"""Ranges of the quota counting (geodata.quotas) and their renderings (geodata.quota_report).

An undetermined record ("à vérifier") is never counted as zero: each line is a range from
the records decided in it to those that could still fall in it. Synthetic records, because
the properties need every combination of category, type and amount (the real published list
has no type nor amount): hypothesis draws them, and the expected bounds are recounted here
from the definition, record by record, not copied from the module.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.policy import (
    CATEGORIES,
    CATEGORY_NOT_ELIGIBLE,
    CATEGORY_OUTSIDE,
    CATEGORY_QPV,
    CATEGORY_UNDETERMINED,
    load_policy,
)
from geodata.quota_report import CSV_COLUMNS, as_dict, csv_rows, render_text
from geodata.quotas import (
    FNT,
    GROUPINGS,
    LINE_KINDS,
    TOTAL,
    YEARS,
    FabriqueRecord,
    QuotaError,
    group_label,
    quota_table,
    range_text,
    what_if,
)
from geodata.spreadsheet import spreadsheet_csv

QPV, OUT, NOT, UND = CATEGORY_QPV, CATEGORY_OUTSIDE, CATEGORY_NOT_ELIGIBLE, CATEGORY_UNDETERMINED
POLICY = load_policy("current")
amounts = st.none() | st.integers(0, POLICY.funding.max_per_year_eur)
records = st.builds(
    FabriqueRecord,
    id=st.text("abcdefgh0123456789", min_size=1, max_size=5),
    category=st.sampled_from(sorted(CATEGORIES)),
    wave=st.none() | st.sampled_from(["2020-1", "2021", "2025-1"]),
    fnt=st.none() | st.booleans(),
    region=st.none() | st.sampled_from(["11", "84", "93"]),
    departement=st.none() | st.sampled_from(["05", "13", "75"]),
    yearly_eur=st.tuples(*[amounts] * YEARS),
    possible=st.none() | st.frozensets(st.sampled_from([QPV, OUT, NOT]), min_size=1),
)
networks = st.lists(records, unique_by=lambda record: record.id, max_size=40)


def could_be(record: FabriqueRecord) -> set[str]:
    """The categories an undetermined record could fall in: all three unless told."""
    return {QPV, OUT, NOT} if record.possible is None else set(record.possible)


def expected_bounds(members: list[FabriqueRecord], kind: str) -> tuple[int, int]:
    """(min, max) of one line, recounted from the definition."""
    undetermined = [r for r in members if r.category == UND]
    if kind == TOTAL:
        return len(members), len(members)
    if kind == FNT:
        decided = [r for r in members if r.category == QPV and r.fnt is True]
        maybe = [r for r in members if r.category == QPV and r.fnt is None]
        maybe += [r for r in undetermined if r.fnt in (True, None) and QPV in could_be(r)]
        return len(decided), len(decided) + len(maybe)
    decided = [r for r in members if r.category == kind]
    return len(decided), len(decided) + sum(1 for r in undetermined if kind in could_be(r))


@settings(database=None, max_examples=150)
@given(networks)
def test_each_line_is_the_range_of_its_definition(network):
    for by in (None, *GROUPINGS):
        table = quota_table(network, POLICY, by=by)
        for line in table.lines:
            members = network if by is None else [r for r in network
                                                  if getattr(r, by) == line.group]
            assert (line.min, line.max) == expected_bounds(members, line.category)
            assert 0 <= line.min <= line.max and line.possible == line.max - line.min
            if line.category in (TOTAL, UND):
                assert line.exact
            if line.target is not None:
                assert (line.remaining_min, line.remaining_max) == (
                    line.target - line.max, line.target - line.min)
                assert line.share_min <= line.share_max


@settings(database=None, max_examples=150)
@given(networks)
def test_the_decided_parts_add_up_to_the_exact_total(network):
    table = quota_table(network, POLICY)
    undetermined = sum(1 for r in network if r.category == UND)
    assert table.line(TOTAL).min == table.line(TOTAL).max == len(network)
    assert sum(table.line(kind).min for kind in CATEGORIES) == len(network)
    for kind in (QPV, OUT, NOT):  # in each line, the undetermined records it may hold
        assert table.line(kind).possible == sum(1 for r in network if r.category == UND
                                                and kind in could_be(r))
    # each undetermined record falls in one line at least: the ranges cover them all
    assert sum(table.line(kind).possible for kind in (QPV, OUT, NOT)) >= undetermined


@settings(database=None, max_examples=100)
@given(networks)
def test_yearly_funding_sums_the_known_amounts_and_counts_the_unknown(network):
    table = quota_table(network, POLICY)
    for line in table.lines:
        members = [r for r in network if line.category == TOTAL or r.category == line.category
                   or (line.category == FNT and r.category == QPV and r.fnt is True)]
        for year in range(YEARS):
            known = [r.yearly_eur[year] for r in members if r.yearly_eur[year] is not None]
            # none known among Fabriques: unknown, never 0 € (no Fabrique: 0 €)
            assert line.yearly_eur[year] == (sum(known) if known or not members else None)
            assert line.unknown_yearly[year] == len(members) - len(known)
        funded = [r.funding_eur for r in members if r.funding_eur is not None]
        assert line.funding_eur == (sum(funded) if funded or not members else None)


@settings(database=None, max_examples=100)
@given(networks, records)
def test_an_undetermined_candidate_widens_the_ranges_without_moving_the_minimum(network,
                                                                                 candidate):
    candidate = FabriqueRecord("candidate", UND, fnt=candidate.fnt)
    before, after = quota_table(network, POLICY), what_if(network, [candidate], POLICY)
    for kind in (QPV, OUT, NOT):
        assert after.line(kind).min == before.line(kind).min
        assert after.line(kind).max == before.line(kind).max + 1
    assert after.line(FNT).max == before.line(FNT).max + (candidate.fnt is not False)
    assert after.line(QPV).remaining_max == before.line(QPV).remaining_max
    assert after.line(QPV).remaining_min == before.line(QPV).remaining_min - 1


def test_the_published_situation_is_never_read_as_zero():
    """227 undetermined of 382, none decided in a QPV: the QPV line says 0 to 227."""
    network = [FabriqueRecord(f"u{n}", UND) for n in range(227)]
    network += [FabriqueRecord(f"o{n}", OUT) for n in range(100)]
    network += [FabriqueRecord(f"n{n}", NOT) for n in range(55)]
    table = quota_table(network, POLICY)
    qpv = table.line(QPV)
    assert (qpv.min, qpv.max) == (0, 227) and range_text(qpv) == "de 0 à 227"
    assert (qpv.remaining_min, qpv.remaining_max) == (POLICY.quotas.qpv - 227,
                                                      POLICY.quotas.qpv)
    assert range_text(table.line(TOTAL)) == "382"
    text = render_text(table)
    assert "227 Fabriques à vérifier" in text
    assert "Cible peut-être dépassée : QPV ou proximité : de 0 à 227 pour une cible de 150" \
        in text


def test_the_text_gives_the_yearly_commitment():
    network = [FabriqueRecord("a", QPV, wave="2025-1", yearly_eur=(50_000, 40_000, None)),
               FabriqueRecord("b", OUT, wave="2021", yearly_eur=(10_000, None, None))]
    for by in (None, "wave"):
        text = render_text(quota_table(network, POLICY, by=by))
        assert ("Engagé par année : année 1 : 60\u202f000\xa0€ ; année 2 : 40\u202f000\xa0€ "
                "(1 sans montant) ; année 3 : inconnu (2 sans montant).") in text


def test_a_record_needs_its_yearly_amounts_well_formed():
    with pytest.raises(QuotaError, match="3 montants annuels"):
        FabriqueRecord("a", QPV, yearly_eur=(1, 2))
    with pytest.raises(QuotaError, match="montant accordé invalide -5"):
        FabriqueRecord("a", QPV, yearly_eur=(1, -5, None))


def test_unknown_groups_are_named_with_their_gender():
    assert group_label("wave", None) == "vague inconnue"
    assert group_label("region", None) == "région inconnue"
    assert group_label("departement", None) == "département inconnu"
    assert group_label("region", "93", {"93": "Provence-Alpes-Côte d'Azur"}) == (
        "Provence-Alpes-Côte d'Azur")
    assert group_label("wave", "2021") == "2021"


def test_the_csv_rows_carry_the_ranges_and_the_names():
    network = [FabriqueRecord("q", QPV, region="93", fnt=True, yearly_eur=(50_000, 40_000, None)),
               FabriqueRecord("u", UND, region="93"), FabriqueRecord("x", OUT)]
    table = quota_table(network, POLICY, by="region")
    text = spreadsheet_csv(CSV_COLUMNS, csv_rows(table, {"93": "Provence-Alpes-Côte d'Azur"}))
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert len(rows) == len(table.lines) == 2 * len(LINE_KINDS)
    qpv = rows[0]
    assert (qpv["groupe"], qpv["nom du groupe"], qpv["catégorie"]) == (
        "93", "Provence-Alpes-Côte d'Azur", QPV)
    assert (qpv["minimum"], qpv["maximum"]) == ("1", "2")
    assert (qpv["année 1 (€)"], qpv["année 2 (€)"], qpv["année 3 (€)"]) == (
        "50000", "40000", "")  # the one Fabrique's third year is unknown: no amount, not 0
    assert qpv["sans montant année 3"] == "1" and qpv["sans montant année 1"] == "0"
    unknown = rows[len(LINE_KINDS)]
    assert (unknown["groupe"], unknown["nom du groupe"]) == ("", "région inconnue")
    overall = csv_rows(quota_table(network, POLICY))
    shares = dict(zip(CSV_COLUMNS, overall[0], strict=True))
    assert shares["part de la cible max (%)"] == str(round(2 / POLICY.quotas.qpv * 100, 1)
                                                      ).replace(".", ",")


def test_the_json_lines_carry_min_and_max():
    network = [FabriqueRecord("q", QPV), FabriqueRecord("u", UND, fnt=None)]
    data = as_dict(quota_table(network, POLICY))
    assert json.loads(json.dumps(data)) == data
    lines = {line["category"]: line for line in data["lines"]}
    assert (lines[QPV]["min"], lines[QPV]["max"]) == (1, 2)
    assert (lines[FNT]["min"], lines[FNT]["max"]) == (0, 2)  # q and u may both be FNT
    assert (lines[TOTAL]["min"], lines[TOTAL]["max"]) == (2, 2)
    assert lines[QPV]["yearly_eur"] == [None] * YEARS  # q's amounts are unknown: null
    assert lines[FNT]["yearly_eur"] == [0] * YEARS  # no Fabrique decided FNT: 0
