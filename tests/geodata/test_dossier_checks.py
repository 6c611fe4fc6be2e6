"""The AMI's calendar of waves and the automatic checks of a dossier (legal form, funding).

The legal-form checks read the real INSEE nomenclature of ``../shared/data/reference``.
"""

from __future__ import annotations

import os
from datetime import date

import pytest

from geodata.dossiers import calendar as calendar_module
from geodata.dossiers.calendar import CalendarError, load_calendar, wave_order
from geodata.dossiers.checks import (
    funding_finding,
    granted_within_rules,
    legal_form_finding,
    read_nomenclature,
)
from geodata.dossiers.states import workflow
from geodata.policy import available_policies, load_policy

pytestmark = pytest.mark.shared_data

POLICY = load_policy("current")


@pytest.fixture(scope="module")
def nomenclature(data_dir):
    found = read_nomenclature(data_dir)
    assert found is not None and len(found) > 200
    return found


# --- calendar ------------------------------------------------------------------------------

def test_the_shipped_calendar_says_what_was_published_and_nothing_more():
    calendar = load_calendar()
    assert calendar.opening == date(2019, 7, 11)
    first, second = calendar.wave("1"), calendar.wave("2")
    assert (first.kind, first.deadline, first.announced) == ("FNT", date(2019, 10, 16),
                                                             "2019-11")
    assert (second.kind, second.deadline) == ("toutes", date(2019, 12, 31))
    assert [calendar.wave(str(n)).announced for n in range(2, 11)] == [
        f"{year}-{month}" for year in (2020, 2021, 2022) for month in ("02", "06", "10")]
    assert all(calendar.wave(str(n)).deadline is None for n in range(3, 11))
    assert calendar.wave("2024") is not None and calendar.wave("2024").deadline is None
    assert all(wave.quota is None for wave in calendar.waves)  # none was published
    # the rules of each wave, as the policies say (ami-2019: « selected_waves = 2019 à 2022 »)
    assert {w.number: w.policy for w in calendar.waves} == {
        **{str(n): "ami-2019" for n in range(1, 11)}, "2023": "current", "2024": "current"}


@pytest.mark.parametrize(("filed", "fnt", "wave", "said"), [
    (date(2019, 10, 16), True, "1", None),  # an FNT on the last day of wave 1
    (date(2019, 10, 16), False, "2", None),  # a Fabrique de Territoire: not in wave 1
    (date(2019, 10, 17), True, "2", None),
    (date(2019, 12, 31), None, "2", None),  # type unknown, but wave 2 takes every type
    (date(2019, 9, 1), None, None, "type de Fabrique inconnu"),
    (date(2020, 1, 1), False, None, "après la dernière date limite connue"),
    (date(2019, 7, 10), True, None, "avant l'ouverture"),
])
def test_the_wave_of_a_filing_date(filed, fnt, wave, said):
    found, reason = load_calendar().wave_of(filed, fnt)
    assert (found.number if found else None) == wave
    assert (reason is None) == (said is None) and (said is None or said in reason)


def test_an_instance_file_extends_and_replaces_waves(tmp_path):
    extra = tmp_path / "vagues.toml"
    extra.write_text('[[vague]]\nnumero = "3"\ntype = "toutes"\ndepot_limite = 2020-04-30\n'
                     'quota = 40\n', encoding="utf-8")
    calendar = load_calendar(extra)
    assert calendar.wave("3").deadline == date(2020, 4, 30) and calendar.wave("3").quota == 40
    found, _ = calendar.wave_of(date(2020, 3, 1), False)
    assert found.number == "3"
    extra.write_text('[[vague]]\nnumero = "3"\ntype = "quelques-unes"\n', encoding="utf-8")
    with pytest.raises(CalendarError, match="quelques-unes"):
        load_calendar(extra)
    extra.write_text('[[vague]]\nnumero = "3"\ntype = "toutes"\npolitique = "ami-2099"\n',
                     encoding="utf-8")
    with pytest.raises(CalendarError, match="politique inconnue 'ami-2099'"):
        load_calendar(extra)


def test_a_calendar_file_is_parsed_again_only_when_it_changes(tmp_path, monkeypatch):
    """Pages read a wave's rules on every request: the file is parsed once per change."""
    extra = tmp_path / "vagues.toml"
    extra.write_text('[[vague]]\nnumero = "3"\ntype = "toutes"\nquota = 40\n', encoding="utf-8")
    parsed = []
    real = calendar_module.tomllib.loads
    monkeypatch.setattr(calendar_module.tomllib, "loads",
                        lambda text: parsed.append(text) or real(text))
    assert load_calendar(extra).wave("3").quota == load_calendar(extra).wave("3").quota == 40
    assert sum("quota = 40" in text for text in parsed) == 1
    extra.write_text('[[vague]]\nnumero = "3"\ntype = "toutes"\nquota = 45\n', encoding="utf-8")
    os.utime(extra, ns=(extra.stat().st_atime_ns, extra.stat().st_mtime_ns + 1_000_000))
    assert load_calendar(extra).wave("3").quota == 45

# --- legal form ----------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "value", "said"), [
    ("9220", True, "Association déclarée"),
    ("7346", True, "Communauté de communes"),
    ("5560", True, "admise"),
    ("7210", True, "Commune et commune nouvelle"),
    ("1000", False, "pas une personne morale"),
    ("2110", False, "sans personnalité morale"),
    ("7312", False, "commune associée ou déléguée"),  # the longest prefix wins over 73
    ("8310", None, "ne classe pas"),
    ("9999", None, "absent de la nomenclature"),
    ("92", None, "absent de la nomenclature"),  # a level-2 code is not a catégorie
    ("", None, "non renseignée"),
    (None, None, "non renseignée"),
])
def test_legal_form(nomenclature, code, value, said):
    found = legal_form_finding(code, POLICY, nomenclature)
    assert found.value is value and said in found.reason


def test_legal_form_without_the_nomenclature_is_undetermined():
    found = legal_form_finding("9220", POLICY, None)
    assert found.value is None and "non disponible" in found.reason


def test_every_policy_classes_the_same_legal_forms(nomenclature):
    codes = [code for code in nomenclature if len(code) == 4]
    answers = {name: [legal_form_finding(c, load_policy(name), nomenclature).value
                      for c in codes] for name in available_policies()}
    assert len({tuple(values) for values in answers.values()}) == 1


# --- funding -------------------------------------------------------------------------------

@pytest.mark.parametrize(("amounts", "kind", "value", "said"), [
    ((50_000, 50_000, 50_000), "FT", True, "conforme"),
    ((25_000, 25_000, 25_000), "FT", True, "75\u202f000\xa0€"),
    ((25_000, 25_000, 24_999), "FT", False, "hors de l'intervalle"),
    ((60_000, 40_000, 40_000), "FT", False, "année 1 au-delà de 50\u202f000\xa0€"),
    ((50_000, 50_000, 50_001), "FT", False, "hors de l'intervalle"),
    ((80_000, 80_000, 80_000), "FNT", None, "bonus FNT"),  # 240 000 ≤ 150 000 + 100 000
    ((90_000, 90_000, 90_000), "FNT", False, "250\u202f000\xa0€"),
    ((50_000, 50_000, 50_000), None, None, "type de Fabrique inconnu"),
    ((50_000, None, 50_000), "FT", None, "année 2"),
    ((50_000, 50_000), "FT", None, "année 3"),
])
def test_funding(amounts, kind, value, said):
    found = funding_finding(amounts, kind, POLICY)
    assert found.value is value and said in found.reason


@pytest.mark.parametrize(("asked", "kind", "granted", "said"), [
    ((50_000, 50_000, 50_000), "FT", (50_000, 50_000, 50_000), None),
    ((60_000, 45_000, 40_000), "FT", (50_000, 45_000, 40_000), "année 1 : 60\u202f000\xa0€ →"),
    ((60_000, 50_000, 50_000), "FT", (50_000, 50_000, 50_000), "160\u202f000\xa0€ demandés"),
    ((50_000, 50_000, 70_000), "FT", (50_000, 50_000, 50_000), "année 3"),
    ((80_000, 80_000, 80_000), "FNT", (80_000, 80_000, 80_000), None),  # ≤ 250 000 in all
    ((100_000, 100_000, 100_000), "FNT", (100_000, 100_000, 50_000), "250\u202f000\xa0€ "
     "accordés"),
    ((100_000, 100_000, 100_000), None, (100_000, 100_000, 50_000), "année 3"),
    ((20_000, 20_000, 20_000), "FT", (20_000, 20_000, 20_000), None),  # under the minimum
    ((40_000, None, 50_000), "FT", (40_000, None, 50_000), None),  # to settle, within rules
    ((90_000, None, 50_000), "FT", (50_000, None, 50_000), "année 1 : 90\u202f000\xa0€ →"),
    ((300_000, None, None), "FNT", (250_000, None, None), "accordés au plus selon les règles "
     ": année 1 : 300\u202f000\xa0€ → 250\u202f000\xa0€"),
])
def test_a_grant_is_capped_by_the_rules(asked, kind, granted, said):
    """A laureate decision granted the amounts asked, above the caps (160 000 € for a
    Fabrique de Territoire, in the letter and the open data)."""
    found, note = granted_within_rules(asked, kind, POLICY)
    assert found == granted
    assert (note is None) if said is None else (said in note)
    if note is not None:  # what was capped is within the ceiling of its type
        assert sum(a for a in found if a is not None) <= POLICY.funding.max_total_eur + (
            0 if kind == "FT" else POLICY.funding.fnt_bonus_eur)


# --- instruction states --------------------------------------------------------------------

RULES = workflow()
FORWARD = [(state, target) for state, targets in RULES.forward.items() for target in targets]


def refusal(current: str, target: str, motivation: str | None) -> str | None:
    """The rules' answer for a dossier that has its prefecture's avis."""
    return RULES.refusal(current, target, motivation, has_avis=True)


def test_the_states_file_describes_the_ami():
    assert RULES.first == "depose"
    assert list(RULES.labels)[-1] == "conventionne"
    assert set(RULES.jury_decisions) == {"laureat", "refuse-recandidater",
                                         "refuse-accompagnement"}
    assert set(RULES.instruction_targets) == {
        "en-instruction", "irrecevable", "recevable", "avis-demande", "avis-rendu",
        "transmis-au-jury", "conventionne",
        "laureat"}  # only a step back from « Conventionné » (``move_dossiers``)
    assert "transmis-au-jury" in RULES.forward["recevable"]  # the avis steps are optional


@pytest.mark.parametrize(("current", "target"), FORWARD)
def test_every_forward_move_is_allowed_with_a_motivation_where_one_is_needed(current,
                                                                            target):
    assert refusal(current, target, "motif") is None
    needs = target in RULES.needs_motivation
    assert (refusal(current, target, None) is not None) == needs
    assert (refusal(current, target, "   ") is not None) == needs


BACK = [(state, target) for state, target in FORWARD if target not in RULES.jury_decisions]


@pytest.mark.parametrize(("current", "target"), BACK)
def test_every_step_back_needs_a_motivation(current, target):
    assert "motivation obligatoire" in refusal(target, current, None)
    assert refusal(target, current, "erreur de saisie") is None


@pytest.mark.parametrize("decision", sorted(RULES.jury_decisions))
def test_a_jury_decision_is_not_undone_by_a_step_back(decision):
    assert "ne s'annule que par le jury" in refusal(decision, "transmis-au-jury",
                                                          "erreur de saisie")


def test_every_other_move_is_refused_with_the_reason():
    allowed = set(FORWARD) | {(t, s) for s, t in BACK}
    for current in RULES.labels:
        for target in RULES.labels:
            refused = refusal(current, target, "motif")
            assert (refused is None) == ((current, target) in allowed), (current, target)
    assert "déjà" in refusal("recevable", "recevable", "motif")
    # the states in words, as the page shows them (was « possibles : en-instruction »)
    assert "(possibles : « En instruction »)" in refusal("depose", "laureat", "motif")
    assert "état inconnu" in refusal("depose", "gagne", None)


def test_the_state_after_the_avis_needs_an_avis():
    """« Avis rendu » with no avis said « Pas d'avis » on the dossier's page: a move to it,
    forward or back, is refused to a dossier without one."""
    given = RULES.avis_given
    for current in (RULES.avis_asked, "transmis-au-jury"):
        why = RULES.refusal(current, given, "motif", has_avis=False)
        assert why is not None and "suit l'avis de la préfecture" in why
        assert RULES.refusal(current, given, "motif", has_avis=True) is None
    assert RULES.refusal("transmis-au-jury", "recevable", "motif", has_avis=False) is None


@pytest.mark.parametrize(("state", "said"), [
    ("depose", "l'instruction le passe d'abord à « Avis de la préfecture demandé »"),
    ("recevable", "l'instruction le passe d'abord"),
    ("transmis-au-jury", "l'étape de l'avis est passée"),
    ("laureat", "l'étape de l'avis est passée"),
    ("irrecevable", "aucun avis n'est demandé pour un dossier « Irrecevable »"),
    ("avis-demande", None),
    ("avis-rendu", None),
])
def test_why_no_avis_says_where_the_dossier_stands(state, said):
    why = RULES.avis_refusal(state)
    assert why is None if said is None else said in why


def test_waves_sort_in_the_calendar_s_order():
    """One key for every list of waves: the shipped calendar's order, numbers as numbers."""
    shipped = [wave.number for wave in load_calendar().waves]
    assert sorted(reversed(shipped), key=wave_order) == shipped  # 1 to 10, 2023, 2024
    assert sorted(["2021", "sans", "2020-1", "10", "2"], key=wave_order) \
        == ["2", "10", "2020-1", "2021", "sans"]
