"""A Démarches Simplifiées row left out says every field's problem at once, each value in
French quotes: a longitude « abc » and an amount « trente mille » on one row were reported
one import apart (the amount only once the longitude was corrected)."""

from __future__ import annotations

import pandas as pd

from geodata.dossiers.calendar import load_calendar
from loaders.ds_export import load_mapping, read_dossiers
from tests.loaders.test_dossiers_import import BAD_LINES, WAVE


def _wave_with(tmp_path, number: str, **cells) -> object:
    frame = pd.read_csv(WAVE, dtype=str, keep_default_na=False)
    for column, value in cells.items():
        frame.loc[frame["ID"] == number, column] = value
    path = tmp_path / "vague.csv"
    frame.to_csv(path, index=False)
    return read_dossiers(path, load_mapping("ami-2019"), load_calendar())


def test_every_problem_of_a_row_is_said_at_once(tmp_path):
    intake = _wave_with(tmp_path, "1234501", **{
        "Longitude": "abc", "Latitude": "x", "Montant demandé 1re année": "trente mille",
        "Type de Fabrique": "Tiers-lieu", "Établissement SIRET": "123"})
    said = {(e.column, e.message) for e in intake.errors if e.line == 2}  # 1234501's row
    assert said == {
        ("Longitude", "nombre attendu, pas « abc »"),
        ("Latitude", "nombre attendu, pas « x »"),
        ("Montant demandé 1re année",
         "montant en euros attendu (par exemple 50 000), pas « trente mille »"),
        ("Type de Fabrique", "réponse inconnue « Tiers-lieu » (attendues : « Fabrique de "
                             "Territoire », « Fabrique Numérique de Territoire »)"),
        ("Établissement SIRET", "SIRET invalide : « 123 » (14 chiffres)"),
    }
    assert {e.dossier for e in intake.errors if e.line == 2} == {1234501}
    assert 1234501 not in {d.number for d in intake.dossiers}  # the row stays left out
    assert intake.left_out == len(BAD_LINES) + 1  # rows, not problems


def test_a_point_with_one_coordinate_is_said_once(tmp_path):
    intake = _wave_with(tmp_path, "1234501", Latitude="")
    (error,) = [e for e in intake.errors if e.line == 2]
    assert (error.column, error.message) == (
        "Latitude", "longitude et latitude vont ensemble : l'une manque")


def test_coordinates_out_of_bounds_are_written_in_french(tmp_path):
    """« coordonnées hors limites : 6.388409, 95.0 »: the other pages write « 6,38841 ;
    95,00000 »."""
    intake = _wave_with(tmp_path, "1234501", Longitude="6.388409", Latitude="95")
    (error,) = [e for e in intake.errors if e.line == 2]
    assert (error.column, error.message) == (
        "Latitude", "coordonnées hors limites : 6,38841 ; 95,00000")
