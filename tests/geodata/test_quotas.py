"""Quota counting (geodata.quotas) on synthetic records.

The demo laureates list has no wave nor FNT column, so these tests build their own records:
a small hand-built network whose every count is known, over-target cases, the what-if
helper, the text and JSON renderings, the validation errors, and hypothesis properties
(per-group counts add up to the overall counts, adding a candidate never decreases a
count, the order of the records does not matter). Targets and funding ceilings are read
from the shipped policies.
"""

from __future__ import annotations

import json
from dataclasses import fields, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.policy import (
    CATEGORIES,
    CATEGORY_NOT_ELIGIBLE,
    CATEGORY_OUTSIDE,
    CATEGORY_QPV,
    CATEGORY_UNDETERMINED,
    Quotas,
    load_policy,
)
from geodata.quota_report import as_dict, render_text
from geodata.quotas import (
    FNT,
    GROUPINGS,
    LINE_KINDS,
    OVERALL,
    TOTAL,
    FabriqueRecord,
    QuotaError,
    QuotaLine,
    check_records,
    quota_table,
    what_if,
)

QPV, OUT, NOT, UND = CATEGORY_QPV, CATEGORY_OUTSIDE, CATEGORY_NOT_ELIGIBLE, CATEGORY_UNDETERMINED
COUNTERS = ("min", "max", "fnt", "funding_eur", "max_commitment_eur", "unknown_funding",
            "unknown_type", "unknown_wave")
POLICY = load_policy("current")
MAX, BONUS = POLICY.funding.max_total_eur, POLICY.funding.fnt_bonus_eur


def network() -> list[FabriqueRecord]:
    """Seven Fabriques: 3 QPV (1 FNT, 1 of unknown type), 2 outside, 1 to check, 1 not."""
    return [
        FabriqueRecord("q1", QPV, "2020-1", True, "11", "75", 250_000),
        FabriqueRecord("q2", QPV, "2020-1", False, "11", "93", 150_000),
        FabriqueRecord("q3", QPV, "2020-1", None, "84", "69", None),
        FabriqueRecord("o1", OUT, "2020-1", False, "84", "01", 100_000),
        FabriqueRecord("o2", OUT, None, False, "84", "01", 75_000),
        FabriqueRecord("v1", UND, "2020-1", None, None, None, None),
        FabriqueRecord("n1", NOT, "2021", False, "11", "75", None),
    ]


def counters(line) -> tuple:
    return tuple(getattr(line, name) for name in COUNTERS)


def known_sum(values, sizes):
    """The groups' values summed: an amount no group of Fabriques knows stays unknown
    (None); a group without Fabrique in the line adds its exact 0."""
    known = [value for value, size in zip(values, sizes, strict=True)
             if value is not None and size]
    return sum(known) if known or not any(sizes) else None


# --- the hand-built network -----------------------------------------------------------------


def test_overall_counts_of_the_hand_built_network():
    table = quota_table(network(), POLICY)
    assert table.policy_name == "current" and table.by is None and table.candidates == 0
    assert table.groups == (OVERALL,)
    assert [line.category for line in table.lines] == list(LINE_KINDS)
    # v1 ("à vérifier", type unknown) could be in QPV, outside, not eligible, and an FNT;
    # q3 (QPV, type unknown) could be an FNT. The most committed: what was granted, else the
    # most the rules allow (q3, v1, n1: MAX each; no bonus for an unknown type)
    #                             min max fnt funding  max commitment   unknown: €, type, wave
    assert counters(table.line(QPV)) == (3, 4, 1, 400_000, 400_000 + MAX, 1, 1, 0)
    assert counters(table.line(FNT)) == (1, 3, 1, 250_000, 250_000, 0, 0, 0)
    assert counters(table.line(OUT)) == (2, 3, 0, 175_000, 175_000, 0, 0, 1)
    assert counters(table.line(NOT)) == (1, 2, 0, None, MAX, 1, 0, 0)  # no amount known
    assert counters(table.line(UND)) == (1, 1, 0, None, MAX, 1, 1, 0)
    assert counters(table.line(TOTAL)) == (7, 7, 1, 575_000, 575_000 + 3 * MAX, 3, 2, 1)


def test_overall_targets_remaining_and_shares():
    table = quota_table(network(), POLICY)
    quotas = POLICY.quotas
    qpv, fnt, out, total = (table.line(kind) for kind in (QPV, FNT, OUT, TOTAL))
    assert (qpv.target, qpv.remaining_min, qpv.remaining_max) == (
        quotas.qpv, quotas.qpv - 4, quotas.qpv - 3)
    assert (fnt.target, fnt.remaining_min, fnt.remaining_max) == (
        quotas.fnt, quotas.fnt - 3, quotas.fnt - 1)
    outside = quotas.outside_large_urban_centres
    assert (out.target, out.remaining_min, out.remaining_max) == (outside, outside - 3,
                                                                  outside - 2)
    assert (total.target, total.remaining_min, total.remaining_max) == (
        quotas.total, quotas.total - 7, quotas.total - 7)
    assert qpv.share_min == pytest.approx(3 / quotas.qpv)
    assert qpv.share_max == pytest.approx(4 / quotas.qpv)
    assert total.share_min == total.share_max == pytest.approx(7 / quotas.total)
    for kind in (NOT, UND):
        line = table.line(kind)
        assert (line.target, line.remaining_min, line.remaining_max, line.share_min,
                line.share_max) == (None,) * 5


@pytest.mark.parametrize("name", ["current", "ami-2019"])
def test_targets_come_from_the_policy(name):
    policy = load_policy(name)
    table = quota_table(network(), policy)
    assert table.policy_name == name
    assert table.line(QPV).target == policy.quotas.qpv
    assert table.line(FNT).target == policy.quotas.fnt
    assert table.line(OUT).target == policy.quotas.outside_large_urban_centres
    assert table.line(TOTAL).target == policy.quotas.total
    assert table.line(TOTAL).max_commitment_eur == 575_000 + 3 * policy.funding.max_total_eur


def test_targets_follow_a_changed_policy():
    policy = replace(POLICY, name="mini", quotas=Quotas(total=4, outside_large_urban_centres=1,
                                                        qpv=3, fnt=0))
    table = quota_table(network(), policy)
    assert (table.line(QPV).remaining_min, table.line(QPV).remaining_max) == (-1, 0)
    assert (table.line(OUT).remaining_min, table.line(OUT).remaining_max) == (-2, -1)
    assert table.line(FNT).remaining_max == -1 and table.line(FNT).share_max is None
    assert table.line(TOTAL).remaining_max == table.line(TOTAL).remaining_min == -3
    assert table.line(TOTAL).share_min == pytest.approx(7 / 4)


def test_the_most_committed_is_never_less_than_what_was_granted():
    """A grant above the rules (160 000 €, made before grants were capped) was shown
    beside an « engagement maximal » of 150 000 €."""
    granted = [FabriqueRecord("g1", QPV, "2", False, funding_eur=160_000),
               FabriqueRecord("g2", QPV, "2", True), FabriqueRecord("g3", QPV, "2", False)]
    line = quota_table(granted, POLICY).line(QPV)
    assert line.funding_eur == 160_000
    assert line.max_commitment_eur == 160_000 + (MAX + BONUS) + MAX >= line.funding_eur


def test_overshoot_gives_negative_remaining():
    extra = POLICY.quotas.fnt + 2
    records = [FabriqueRecord(f"f{index}", QPV, "2023", True) for index in range(extra)]
    table = quota_table(records, POLICY)
    assert table.line(FNT).min == table.line(FNT).max == extra
    assert table.line(FNT).remaining_max == -2
    assert table.line(FNT).share_min > 1
    assert table.line(QPV).remaining_max == POLICY.quotas.qpv - extra
    assert table.line(TOTAL).max_commitment_eur == extra * (MAX + BONUS)
    assert table.line(TOTAL).unknown_funding == extra
    assert "Cible dépassée : dont FNT" in render_text(table)


def test_per_wave():
    table = quota_table(network(), POLICY, by="wave")
    assert table.groups == ("2020-1", "2021", None)
    assert all(line.target is None and line.remaining_max is None for line in table.lines)
    assert [table.line(kind, "2020-1").min for kind in LINE_KINDS] == [3, 1, 1, 0, 1, 5]
    assert [table.line(kind, "2020-1").max for kind in LINE_KINDS] == [4, 3, 2, 1, 1, 5]
    assert [table.line(kind, "2021").min for kind in LINE_KINDS] == [0, 0, 0, 1, 0, 1]
    assert [table.line(kind, None).min for kind in LINE_KINDS] == [0, 0, 1, 0, 0, 1]
    assert all(line.exact for group in ("2021", None) for line in table.lines
               if line.group == group)
    assert table.line(TOTAL, None).unknown_wave == 1
    assert table.line(TOTAL, "2020-1").funding_eur == 500_000
    assert table.line(TOTAL, "2020-1").unknown_funding == 2
    assert table.line(TOTAL, "2020-1").max_commitment_eur == 500_000 + 2 * MAX


def test_per_region():
    table = quota_table(network(), POLICY, by="region")
    assert table.groups == ("11", "84", None)
    assert [table.line(kind, "11").min for kind in LINE_KINDS] == [2, 1, 0, 1, 0, 3]
    assert [table.line(kind, "84").min for kind in LINE_KINDS] == [1, 0, 2, 0, 0, 3]
    assert [table.line(kind, "84").max for kind in LINE_KINDS] == [1, 1, 2, 0, 0, 3]
    assert [table.line(kind, None).min for kind in LINE_KINDS] == [0, 0, 0, 0, 1, 1]
    assert [table.line(kind, None).max for kind in LINE_KINDS] == [1, 1, 1, 1, 1, 1]
    assert table.line(TOTAL, "84").unknown_type == 1
    assert table.line(TOTAL, "84").unknown_wave == 1
    assert table.line(TOTAL, "11").funding_eur == 400_000


def test_per_departement():
    table = quota_table(network(), POLICY, by="departement")
    assert table.groups == ("01", "69", "75", "93", None)
    assert table.line(OUT, "01").min == 2
    assert table.line(QPV, "69").unknown_type == 1
    assert (table.line(QPV, "75").min, table.line(NOT, "75").min) == (1, 1)
    assert table.line(FNT, "75").min == 1
    assert table.line(TOTAL, "93").funding_eur == 150_000
    assert table.line(UND, None).min == 1
    with pytest.raises(KeyError):
        table.line(TOTAL, OVERALL)


def test_empty_network():
    table = quota_table([], POLICY)
    assert table.line(TOTAL).max == 0
    assert table.line(QPV).remaining_min == POLICY.quotas.qpv
    assert quota_table([], POLICY, by="wave").lines == ()
    assert "(aucune Fabrique)" in render_text(quota_table([], POLICY, by="region"))


def test_fnt_outside_the_qpv_category_is_counted_and_flagged():
    records = [FabriqueRecord("f1", QPV, fnt=True), FabriqueRecord("f2", UND, fnt=True)]
    table = quota_table(records, POLICY)
    # the policy counts the FNT within the QPV half: the one "à vérifier" is not one of them
    assert table.line(FNT).min == 1 and table.line(QPV).fnt == 1
    assert table.line(FNT).max == 2  # ... unless it turns out to be in a QPV
    assert table.line(FNT).remaining_max == POLICY.quotas.fnt - 1
    assert table.line(TOTAL).fnt == 2
    assert "1 FNT hors de la catégorie QPV" in render_text(table)


# --- what-if ---------------------------------------------------------------------------------


def test_what_if_adds_the_candidates():
    current = network()
    candidates = [FabriqueRecord("c1", QPV, "2024", True, "11", "75"),
                  FabriqueRecord("c2", OUT, "2024", None, "84", "01")]
    before = quota_table(current, POLICY)
    after = what_if(current, candidates, POLICY)
    assert after.candidates == 2
    assert [after.line(kind).min for kind in LINE_KINDS] == [4, 2, 3, 1, 1, 9]
    assert [after.line(kind).max for kind in LINE_KINDS] == [5, 4, 4, 2, 1, 9]
    assert after.line(QPV).remaining_max == before.line(QPV).remaining_max - 1
    assert after.line(TOTAL).max_commitment_eur == 575_000 + 5 * MAX + BONUS  # c1: an FNT
    assert after.line(TOTAL).unknown_funding == 5 and after.line(TOTAL).unknown_type == 3
    assert quota_table(current, POLICY) == before  # current records untouched
    per_wave = what_if(current, candidates, POLICY, by="wave")
    assert per_wave.groups == ("2020-1", "2021", "2024", None)
    assert per_wave.line(TOTAL, "2024").min == 2
    assert "Simulation : 2 candidatures" in render_text(after)


def test_what_if_without_candidates_is_the_current_table():
    assert what_if(network(), [], POLICY) == quota_table(network(), POLICY)


def test_what_if_rejects_a_candidate_already_in_the_network():
    with pytest.raises(QuotaError, match="'q2'.*double"):
        what_if(network(), [FabriqueRecord("q2", OUT)], POLICY)


# --- renderings --------------------------------------------------------------------------------


def test_render_text_is_aligned_french_text():
    text = render_text(quota_table(network(), POLICY, by="wave"))
    lines = text.splitlines()
    assert lines[0] == "Quotas des Fabriques de Territoire, politique « current », par vague"
    table = lines[1:2 + 3 * len(LINE_KINDS)]  # header, then 3 waves (one unknown)
    assert table[0].startswith("Vague") and "Engagement max (€)" in table[0]
    assert len({len(row) for row in table}) == 1  # aligned columns
    assert any(row.startswith("vague inconnue") for row in table)
    assert "hors grands centres urbains" in text and "à vérifier" in text
    assert "vague 2020-1 : le nombre de FNT" in text  # q3 and v1 have an unknown type
    by_region = render_text(quota_table(network(), POLICY, by="region"))
    assert "de type inconnu, région inconnue :" in by_region  # v1: « région région inconnue »


def test_render_text_overall_shows_targets_and_money():
    text = render_text(quota_table(network(), POLICY))
    total = next(row for row in text.splitlines() if "total" in row)
    assert "300" in total and "293" in total and "2,3\u202f%" in total  # narrow no-break space
    qpv = next(row for row in text.splitlines() if "QPV ou proximité" in row)
    assert " 3 " in qpv and " 4 " in qpv and "146 à 147" in qpv
    assert "575\u202f000" in total and f"{575_000 + 3 * MAX:,}".replace(",", "\u202f") in total
    assert "Cible dépassée" not in text


def test_as_dict_is_json_ready():
    data = as_dict(quota_table(network(), POLICY, by="region"))
    assert json.loads(json.dumps(data)) == data
    assert (data["policy"], data["by"], data["candidates"]) == ("current", "region", 0)
    assert len(data["lines"]) == 3 * len(LINE_KINDS)
    first = data["lines"][0]
    assert first["group"] == "11" and first["category"] == QPV
    assert first["label"] == CATEGORIES[QPV]
    assert set(first) == {field.name for field in fields(QuotaLine)} | {"label", "group_name"}
    assert (first["min"], first["max"]) == (2, 2) and first["group_name"] == "11"
    unknown = data["lines"][-1]
    assert (unknown["group"], unknown["group_name"]) == (None, "région inconnue")
    named = as_dict(quota_table(network(), POLICY, by="region"), {"11": "Île-de-France"})
    assert named["lines"][0]["group_name"] == "Île-de-France"


# --- validation --------------------------------------------------------------------------------


def test_unknown_category_names_the_record_and_the_value():
    with pytest.raises(QuotaError, match=r"'q9'.*'QPV'") as caught:
        FabriqueRecord("q9", "QPV")
    assert isinstance(caught.value, ValueError)


def test_duplicate_ids_are_refused():
    records = [*network(), FabriqueRecord("o1", QPV)]
    with pytest.raises(QuotaError, match="'o1'.*identifiant en double"):
        quota_table(records, POLICY)
    with pytest.raises(QuotaError, match="'o1'"):
        check_records(records)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"id": ""}, "identifiant"),
        ({"fnt": "oui"}, "fnt"),
        ({"funding_eur": -1}, "montant"),
        ({"funding_eur": 75_000.0}, "montant"),
        ({"funding_eur": True}, "montant"),
        ({"wave": " "}, "vague"),
        ({"departement": ""}, "département"),
    ],
)
def test_malformed_values_are_refused(changes, message):
    with pytest.raises(QuotaError, match=message):
        replace(network()[0], **changes)


def test_unknown_grouping_and_foreign_objects_are_refused():
    with pytest.raises(QuotaError, match="regroupement inconnu : 'commune'"):
        quota_table(network(), POLICY, by="commune")
    with pytest.raises(QuotaError, match="FabriqueRecord"):
        check_records([("q1", QPV)])


# --- properties --------------------------------------------------------------------------------

single_records = st.builds(
    FabriqueRecord,
    id=st.text("abcdefgh0123456789", min_size=1, max_size=5),
    category=st.sampled_from(sorted(CATEGORIES)),
    wave=st.none() | st.sampled_from(["2020-1", "2020-2", "2021", "2023", "2024"]),
    fnt=st.none() | st.booleans(),
    region=st.none() | st.sampled_from(["11", "32", "84", "976"]),
    departement=st.none() | st.sampled_from(["01", "2A", "59", "75", "976"]),
    funding_eur=st.none() | st.integers(0, MAX + BONUS),
)
records_lists = st.lists(single_records, unique_by=lambda record: record.id, max_size=30)


@settings(database=None)
@given(records_lists)
def test_per_group_counts_add_up_to_the_overall_counts(records):
    overall = quota_table(records, POLICY)
    for by in GROUPINGS:
        table = quota_table(records, POLICY, by=by)
        for kind in LINE_KINDS:
            lines = [line for line in table.lines if line.category == kind]
            assert len(lines) == len(table.groups)
            summed = tuple(
                known_sum(values, [line.min for line in lines]) if name == "funding_eur"
                else sum(values)
                for name, values in zip(COUNTERS, zip(*map(counters, lines), strict=True),
                                        strict=False))
            assert (summed or (0,) * len(COUNTERS)) == counters(overall.line(kind))
    total = overall.line(TOTAL)
    assert total.min == sum(overall.line(kind).min for kind in CATEGORIES) == len(records)


@settings(database=None)
@given(records_lists, single_records)
def test_adding_a_candidate_never_decreases_a_count(records, candidate):
    candidate = replace(candidate, id="candidate")  # ids are drawn without "n", "i", "t"
    for by in (None, *GROUPINGS):
        before = quota_table(records, POLICY, by=by)
        after = what_if(records, [candidate], POLICY, by=by)
        assert set(before.groups) <= set(after.groups)
        for line in before.lines:
            moved = after.line(line.category, line.group)
            assert all((new or 0) >= (old or 0) for new, old in zip(  # None: no amount known
                counters(moved), counters(line), strict=True))
            if line.target is not None:
                assert moved.remaining_min <= line.remaining_min
                assert moved.remaining_max <= line.remaining_max
        assert after.line(TOTAL, getattr(candidate, by) if by else OVERALL).min >= 1


@settings(database=None)
@given(records_lists, st.randoms(use_true_random=False))
def test_the_order_of_the_records_does_not_matter(records, random):
    shuffled = list(records)
    random.shuffle(shuffled)
    for by in (None, *GROUPINGS):
        assert quota_table(shuffled, POLICY, by=by) == quota_table(records, POLICY, by=by)
        assert render_text(quota_table(shuffled, POLICY, by=by)) == render_text(
            quota_table(records, POLICY, by=by))
