"""A Démarches Simplifiées workbook as DS writes it (``loaders.ds_export``): its sheet
« Dossiers » with date cells to the microsecond and the states' labels, the SIRET and legal
form in its sheet « Etablissements », a sheet « Avis » beside them.

The layout follows DS's own code (demarches-simplifiees.fr: ``ProcedureExportService``
writes the sheets « Dossiers », « Etablissements », « Avis »; ``DossierExportConcern`` puts
only « Entreprise raison sociale » among a workbook's dossier columns, the establishment's
columns in « Etablissements » keyed by « Dossier ID » and « Champ »; the states are
exported by their French labels; caxlsx writes a date cell with its fraction of a second).
Synthetic dossiers, written here with openpyxl: an outside audit found a real-layout export
refused row by row (« date illisible : '2019-09-12 10:14:03.483000' »), its SIRET and legal
forms silently empty, and « Refusé » never seen as refused.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from geodata.dossiers.calendar import load_calendar
from loaders.ds_export import load_mapping, read_dossiers

PARIS = ZoneInfo("Europe/Paris")
DOSSIERS = ["ID", "Email", "FranceConnect ?", "Entreprise raison sociale", "À archiver",
            "État du dossier", "Dernière mise à jour le", "Déposé le",
            "Passé en instruction le", "Traité le", "Motivation de la décision",
            "Instructeurs", "Nom du projet", "Type de Fabrique", "Lieu existant",
            "Adresse du lieu", "Montant demandé 1re année", "Montant demandé 2e année",
            "Montant demandé 3e année"]
ESTABLISHMENTS = ["Dossier ID", "Champ", "Établissement SIRET", "Établissement siège social",
                  "Entreprise forme juridique", "Entreprise forme juridique code",
                  "Entreprise raison sociale"]


def filed(text: str, microseconds: int) -> datetime:
    """A date cell as caxlsx writes it: Paris wall-clock time, to the microsecond."""
    return datetime.fromisoformat(text).replace(microsecond=microseconds)


ROWS = [
    (1234501, "Accepté", filed("2019-09-12 10:14:03", 483000), "Fabrique Numérique de Territoire",
     "Oui", ("20007053000015", "Communauté de communes", "7346")),
    (1234516, "Refusé", filed("2019-12-09 09:18:40", 250001), "Fabrique de Territoire", "on",
     ("82516835400025", "Association déclarée", "9220")),
    (1234521, "Classé sans suite", filed("2019-12-18 14:32:10", 999999),
     "Fabrique de Territoire", "Non", None),  # no establishment row: its columns stay empty
]


@pytest.fixture
def export(tmp_path):
    book = openpyxl.Workbook()
    dossiers = book.active
    dossiers.title = "Dossiers"
    dossiers.append(DOSSIERS)
    establishments = book.create_sheet("Etablissements")
    establishments.append(ESTABLISHMENTS)
    for number, state, when, kind, existing, company in ROWS:
        dossiers.append([number, f"porteur-{number}@exemple.fr", "false", f"Porteur {number}",
                         "false", state, when, when, None, None, None, "", f"Projet {number}",
                         kind, existing, "4 rue de la Bibliothèque 13001 Marseille",
                         50000, 40000, 30000])
        if company is not None:
            siret, form, code = company
            establishments.append([number, "Dossier", siret, "true", form, code,
                                   f"Porteur {number}"])
            establishments.append([number, "SIRET du partenaire", "11111111111111", "true",
                                   "Société anonyme", "5599", "Partenaire"])  # another field's
    book.create_sheet("Avis").append(["Dossier ID", "Question / Introduction", "Réponse"])
    path = tmp_path / "export-ds.xlsx"
    book.save(path)
    return path


def test_a_ds_workbook_is_read_with_its_dates_states_and_establishments(export):
    intake = read_dossiers(export, load_mapping("ami-2019"), load_calendar())

    assert intake.errors == []
    read = {d.number: d for d in intake.dossiers}
    assert sorted(read) == [1234501, 1234516, 1234521]
    assert read[1234501].filed_at.astimezone(UTC) == datetime(2019, 9, 12, 8, 14, 3, 483000,
                                                              tzinfo=UTC)  # Paris, summer
    assert [read[n].ds_state for n in sorted(read)] == ["accepte", "refuse", "sans_suite"]
    assert (read[1234501].siret, read[1234501].legal_form, read[1234501].legal_form_code) \
        == ("20007053000015", "Communauté de communes", "7346")
    assert read[1234516].siret == "82516835400025"  # its own, not the partner's
    assert read[1234521].siret is None and read[1234521].legal_form_code is None
    assert read[1234516].existing_place is True  # a DS checkbox: « on »
    assert read[1234501].wave == "1" and read[1234516].wave == "2"
    assert not any("Établissement SIRET" in note for note in intake.notes)
