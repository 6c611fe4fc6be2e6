"""What a jury weighs (``geodata.dossiers.jury``): dossiers as quota records and the warnings
a selection raises. Synthetic records: the property is the counting, not the data."""

from __future__ import annotations

from types import SimpleNamespace

from geodata.dossiers.jury import dossier_record, laureates_of_wave, selection_warnings
from geodata.policy import load_policy
from geodata.quotas import FabriqueRecord, what_if

POLICY = load_policy("current")


def dossier(number, category, kind="FT", amounts=(50000, 50000, 50000), wave="2",
            territory=None, policy="current"):
    return SimpleNamespace(number=number, category=category, kind=kind, wave=wave,
                           departement_code="13", amount_1=amounts[0], amount_2=amounts[1],
                           amount_3=amounts[2], policy=policy,
                           checks={"territoire": territory or {"category": category}})


def halves(in_qpv, near_qpv, outside) -> dict:
    return {"category": "a-verifier", "in_qpv": in_qpv, "near_qpv": near_qpv,
            "outside_large_urban_centre": outside}


def test_an_undetermined_dossier_may_fall_only_where_its_known_half_allows():
    """Villeurbanne is in a large urban centre, its QPV half unknown: never « hors des
    grands centres urbains », and the jury's quotas counted it there (269 became 270)."""
    urban = dossier_record(dossier(5, "a-verifier", territory=halves(None, None, False)))
    assert urban.possible == {"qpv", "non-eligible"}
    outside = dossier_record(dossier(6, "a-verifier", territory=halves(False, None, True)))
    assert outside.possible == {"hors-grands-centres-urbains", "qpv"}
    unplaced = dossier_record(dossier(7, "a-verifier"))  # not located: no halves
    assert unplaced.possible is None
    retired = dossier_record(dossier(8, "a-verifier", territory=halves(None, None, False),
                                     policy="ami-2020"))  # rules no longer shipped
    assert retired.possible is None
    assert dossier_record(dossier(9, "qpv", territory=halves(True, True, False))).possible \
        is None  # decided: its category says it

    current = [FabriqueRecord(id=f"f{i}", category="hors-grands-centres-urbains")
               for i in range(3)]
    table = what_if(current, [urban], POLICY)
    assert table.line("hors-grands-centres-urbains").max == 3
    assert table.line("qpv").max == 1 and table.line("non-eligible").max == 1


def test_a_dossier_counts_as_the_laureate_it_would_make():
    record = dossier_record(dossier(1, "qpv", "FNT"))
    assert (record.id, record.category, record.fnt, record.funding_eur) == (
        "ds-1", "qpv", True, 150000)
    unplaced = dossier_record(dossier(2, None, None, (50000, None, 40000)))
    assert (unplaced.category, unplaced.fnt, unplaced.funding_eur) == ("a-verifier", None, None)


def test_a_laureate_counts_with_what_its_decision_granted():
    """The amounts asked may be corrected after the decision: the granted ones count, year by
    year; a candidate has asked, nothing granted yet."""
    laureate = dossier_record(dossier(3, "qpv", amounts=(1, 2, 3)), "93", (40000, 30000, 20000))
    assert (laureate.region, laureate.funding_eur, laureate.yearly_eur) == (
        "93", 90000, (40000, 30000, 20000))
    candidate = dossier_record(dossier(4, "qpv", amounts=(1, 2, 3)))
    assert (candidate.region, candidate.funding_eur, candidate.yearly_eur) == (
        None, 6, (None, None, None))


def qpv_warnings(table) -> list[str]:
    return [w for w in selection_warnings(table, 2, None, "2") if w.startswith("Fabriques en QPV")]


def test_a_selection_past_a_target_is_warned_surely_or_possibly():
    current = [FabriqueRecord(id=f"f{i}", category="qpv", wave="1", fnt=False)
               for i in range(149)]
    surely = what_if(current, [dossier_record(dossier(n, "qpv")) for n in (1, 2)], POLICY)
    (said,) = qpv_warnings(surely)
    assert "151 pour une cible de 150 (au moins 1 de plus)" in said
    maybe = what_if(current, [dossier_record(dossier(n, "a-verifier")) for n in (1, 2)], POLICY)
    (said,) = qpv_warnings(maybe)
    assert "de 149 à 151" in said and "dépassée si assez" in said
    assert selection_warnings(what_if(current, [], POLICY), 0, None, "2") == []


def test_the_waves_cap_is_warned_when_known():
    records = [FabriqueRecord(id=f"f{i}", category="qpv", wave="2") for i in range(3)]
    assert laureates_of_wave(records, "2") == 3 and laureates_of_wave(records, "1") == 0
    table = what_if([], records, POLICY)
    assert any("Vague 2 : 3 lauréats pour un quota de 2" in w
               for w in selection_warnings(table, 3, 2, "2"))
    assert not any("Vague" in w for w in selection_warnings(table, 3, None, "2"))
