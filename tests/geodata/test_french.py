"""Numbers for French readers (``geodata.french``, Babel): decimal comma, narrow no-break
space between thousands, a no-break space before a unit; and the filters of the templates."""

from __future__ import annotations

import math

import pytest
from babel.numbers import format_decimal, get_decimal_symbol
from hypothesis import given
from hypothesis import strategies as st

from geodata import french
from geodata.territories import TerritoryError, territory_of_lonlat

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.mark.parametrize(("value", "shown"), [
    (0, "0"), (7, "7"), (1234, f"1{NNBSP}234"), (1234567, f"1{NNBSP}234{NNBSP}567"),
    (-2845, f"-2{NNBSP}845"), (12.5, "12,5")])
def test_number(value, shown):
    assert french.number(value) == shown


def test_decimal_percent_distance_euros_size():
    assert french.decimal(81.8) == "81,8"
    assert french.decimal(4999.9) == f"4{NNBSP}999,9"
    assert french.decimal(300.0) == "300,0"  # the decimal is always said
    assert french.decimal(0.4567, 2) == "0,46"
    assert french.percent(0.155) == f"15,5{NNBSP}%"
    assert french.percent(1) == f"100,0{NNBSP}%"
    assert french.distance(81.8) == f"81,8{NBSP}m"
    assert french.distance(640, digits=0) == f"640{NBSP}m"
    assert french.distance(1234) == f"1,2{NBSP}km"
    assert french.metres(5000) == f"5{NNBSP}000{NBSP}m"
    assert french.euros(120000) == f"120{NNBSP}000{NBSP}€"
    assert french.size(8192) == f"8{NBSP}Ko"
    assert french.size(20 * 1024 * 1024) == f"20{NBSP}Mo"
    assert french.size(1536 * 1024) == f"1,5{NBSP}Mo"


@given(st.floats(min_value=0, max_value=1e7, allow_nan=False).map(lambda v: round(v, 1)))
def test_many_at_once_read_as_one_at_a_time(value):
    """The bulk path (explanations of a batch) writes what Babel writes for one value, on
    distances rounded to the decimetre as the engine gives them."""
    assert french.decimals([value]) == [french.decimal(value)]
    assert french.decimals([value]) == [format_decimal(value, format="#,##0.0",
                                                       locale="fr_FR")]


def test_a_place_reads_with_decimal_commas_and_a_semicolon():
    assert french.lonlat(5.4034, 43.3305) == "5,40340 ; 43,33050"
    assert french.lonlat(-61.5, 16.25) == "-61,50000 ; 16,25000"
    assert french.coordinate(55.45) == "55,45000"
    assert get_decimal_symbol("fr_FR") == ","  # where the comma comes from


@given(st.lists(st.tuples(st.floats(-180, 180), st.floats(-90, 90)), max_size=20))
def test_many_places_at_once_read_as_one_at_a_time(places):
    lons, lats = [x for x, _ in places], [y for _, y in places]
    assert french.lonlats(lons, lats) == [french.lonlat(x, y) for x, y in places] == [
        f"{french.coordinate(x)} ; {french.coordinate(y)}" for x, y in places]
    assert not any("." in text for text in french.lonlats(lons, lats))


def test_a_place_outside_every_territory_is_said_the_french_way():
    with pytest.raises(TerritoryError, match=r"le point \(-30,00000 ; 40,00000\) n'est dans"):
        territory_of_lonlat(-30, 40)


def test_the_decimal_symbol_is_babels(monkeypatch):
    monkeypatch.setattr(french, "_symbols", lambda: {",": " ", ".": "٫"})
    assert french.lonlat(5.4034, 43.3305) == "5٫40340 ; 43٫33050"


def test_nan_is_never_shown_as_a_number():
    assert french.decimals([math.nan]) == ["nan"]  # callers never show it (no distance said)


def test_template_filters_keep_their_names(tmp_path):
    from app import create_app

    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    render = app.jinja_env.from_string(
        "{{ 1234|nombre }} {{ 8192|taille }} {{ 0.155|pourcentage }} {{ 81.8|distance }} "
        "{{ 120000|euros }} {{ 2.25|decimal }} {{ 5.4034|coordonnee }}").render
    assert render() == (f"1{NNBSP}234 8{NBSP}Ko 15,5{NNBSP}% 81,8{NBSP}m "
                        f"120{NNBSP}000{NBSP}€ 2,2 5,40340")


@pytest.mark.parametrize(("count", "shown"), [
    (0, "0 dossier lu est tel quel"), (1, "1 dossier lu est tel quel"),
    (2, "2 dossiers lus sont tels quels"), (1_000_000, "1000000 dossiers lus sont tels quels"),
    (None, "None dossier(s) lu(s) (est|sont) tel(s) quel(s)")])
def test_words_agree_with_their_count_the_french_way(count, shown):
    """« 1 dossier(s) » on a page where the count was known: singular for 0 and 1 in French
    (not only for 1, as in English), plural from 2; a count unknown keeps the marks."""
    text = "dossier(s) lu(s) (est|sont) tel(s) quel(s)"
    assert f"{count} {french.agreed(text, count)}" == shown


def test_names_sort_with_accents_case_and_ligatures_aside():
    """« Île-de-France » among the I: a plain sort put it after « Saint-Martin »."""
    names = ["Saint-Martin", "Île-de-France", "Guyane", "Occitanie", "Œuvre", "éa", "Eb",
             "Hauts-de-France"]
    assert sorted(names, key=french.name_key) == [
        "éa", "Eb", "Guyane", "Hauts-de-France", "Île-de-France", "Occitanie", "Œuvre",
        "Saint-Martin"]
    assert sorted(["Ile", "Île", "ile"], key=french.name_key) == ["Ile", "ile", "Île"]
