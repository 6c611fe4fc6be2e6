"""A wave's dossiers as a table: one row per dossier, for a CSV or a French spreadsheet.

Booleans are ``true`` / ``false`` and empty when undetermined; the state, the type, the
category, the avis and the precision are codes (the engine's and ``etats.toml``'s). For a
spreadsheet (``tableur``): French headers, those codes as the pages say them (« En
instruction », « Fabrique de Territoire », « à vérifier », « Favorable », « coordonnées
exactes »), ``oui`` / ``non``, decimal commas
(and the BOM and ``;`` of ``geodata.spreadsheet``). The same as a workbook (``export_xlsx``):
codes (SIRET, commune, département) as text cells, amounts and coordinates as numbers.

The last columns are the jury's decision in force (``geodata.storage.jury``'s
``standing_decisions``, given by the caller): the decision, its motivation, its session
(number, and the day it closed: empty while open) and the yearly amounts it grants a
laureate; all empty for a dossier without a decision.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import date

from geodata.dossiers.records import DS_STATES, KINDS
from geodata.dossiers.selection import SHOWN_CATEGORIES, shown_category
from geodata.dossiers.states import workflow
from geodata.dossiers.territory import category_to_settle
from geodata.eligibility.batch import format_value
from geodata.eligibility.sentences import PRECISION_LABELS
from geodata.french import in_paris
from geodata.policy import available_policies
from geodata.spreadsheet import french_value, spreadsheet_csv, spreadsheet_xlsx

__all__ = ["COLUMNS", "FRENCH_HEADERS", "export_csv", "export_rows", "export_xlsx"]

COLUMNS = (
    "numero", "vague", "etat", "raison_sociale", "siret", "forme_juridique_code",
    "forme_juridique_eligible", "type_fabrique", "montant_total_eur", "financement_conforme",
    "lon", "lat", "precision", "categorie", "commune_code", "qpv_code", "distance_qpv_m",
    "hors_grands_centres_urbains", "motifs", "departement", "avis", "avis_texte",
    "nom_projet", "montant_annee_1_eur", "montant_annee_2_eur", "montant_annee_3_eur",
    "etat_ds", "decision_jury", "motivation_decision_jury", "session_jury",
    "session_jury_close_le", "montant_accorde_annee_1_eur", "montant_accorde_annee_2_eur",
    "montant_accorde_annee_3_eur",
)
"""The columns of the export, in order; those added later come last (a program reading the
export by position keeps working)."""
DECISION_COLUMNS = COLUMNS[-7:]
"""The jury's decision in force: decision, motivation, session, its closing day and the
yearly amounts granted (``_decision_columns``)."""
FRENCH_HEADERS = (
    "Numéro", "Vague", "État", "Raison sociale", "SIRET", "Code forme juridique",
    "Forme juridique admise", "Type de Fabrique", "Montant total demandé (€)",
    "Financement conforme", "Longitude", "Latitude", "Précision", "Catégorie",
    "Code commune", "QPV", "Distance au QPV (m)", "Hors des grands centres urbains", "Motifs",
    "Département", "Avis de la préfecture", "Texte de l'avis", "Nom du projet",
    "Montant 1re année (€)", "Montant 2e année (€)", "Montant 3e année (€)",
    "État sur Démarches Simplifiées", "Décision du jury", "Motivation de la décision",
    "Session du jury (n°)", "Session close le", "Montant accordé 1re année (€)",
    "Montant accordé 2e année (€)", "Montant accordé 3e année (€)",
)
SHOWN = "categorie_affichee"
"""A row's category as the pages show it (an « à vérifier » eligible either way apart): the
spreadsheets' column, while the plain CSV keeps the stored code."""
UNDECIDED_SAID = ("forme_juridique_eligible", "financement_conforme",
                  "hors_grands_centres_urbains")
"""The checks' columns, empty in the plain CSV when undecided, « à vérifier » in the
spreadsheets (an empty cell read as a check not made)."""
CHECK_NAMES = {"forme_juridique": "forme juridique", "financement": "financement",
               "vague": "vague"}


def export_rows(dossiers: Iterable, decisions: Mapping[int, object] | None = None
                ) -> list[dict]:
    """One dict per dossier (``COLUMNS``), from stored dossiers (``Dossier`` rows) and their
    decisions in force by number (``StandingDecision``: none given, those columns empty)."""
    out, shipped = [], available_policies()  # read once, not per dossier
    for dossier in dossiers:
        checks = dossier.checks or {}
        territory = checks.get("territoire", {})
        amounts = [dossier.amount_1, dossier.amount_2, dossier.amount_3]
        out.append({
            "numero": dossier.number, "vague": dossier.wave, "etat": dossier.state,
            "raison_sociale": dossier.company_name, "siret": dossier.siret,
            "forme_juridique_code": dossier.legal_form_code,
            "forme_juridique_eligible": checks.get("forme_juridique", {}).get("value"),
            "type_fabrique": dossier.kind,
            "montant_total_eur": None if None in amounts else sum(amounts),
            "financement_conforme": checks.get("financement", {}).get("value"),
            "lon": dossier.lon, "lat": dossier.lat, "precision": dossier.precision,
            "categorie": dossier.category, "commune_code": dossier.commune_code,
            "qpv_code": territory.get("qpv_code"),
            "distance_qpv_m": territory.get("distance_to_qpv_m"),
            "hors_grands_centres_urbains": territory.get("outside_large_urban_centre"),
            "motifs": _reasons(dossier, shipped), "departement": dossier.departement_code,
            "avis": dossier.avis, "avis_texte": dossier.avis_text,
            "nom_projet": dossier.project_name, "montant_annee_1_eur": dossier.amount_1,
            "montant_annee_2_eur": dossier.amount_2, "montant_annee_3_eur": dossier.amount_3,
            "etat_ds": dossier.ds_state,
            **_decision_columns((decisions or {}).get(dossier.number)),
            SHOWN: shown_category(dossier, shipped),  # the spreadsheets', as the pages say it
        })
    return out


def _decision_columns(decision) -> dict:
    """The jury's decision in force (a ``StandingDecision``, or None: every column empty)."""
    if decision is None:
        return dict.fromkeys(DECISION_COLUMNS)
    granted = [*decision.granted, None, None, None][:3]
    closed = in_paris(decision.closed_at).date() if decision.closed_at else None
    return dict(zip(DECISION_COLUMNS, (decision.state, decision.motivation, decision.session,
                                       closed, *granted), strict=True))


def _labels() -> dict[str, dict]:
    """The codes of the columns that have some, as the pages say them."""
    rules = workflow()
    return {"etat": rules.labels, "type_fabrique": KINDS, "categorie": SHOWN_CATEGORIES,
            "avis": rules.avis, "etat_ds": DS_STATES, "precision": PRECISION_LABELS,
            "decision_jury": rules.labels}


def _reasons(dossier, shipped: list[str]) -> str:
    """What failed or stays undetermined, check by check."""
    checks = dossier.checks or {}
    said = [f"{CHECK_NAMES[name]} : {found['reason']}" for name, found in checks.items()
            if name in CHECK_NAMES and found.get("value") is not True]
    territory = checks.get("territoire", {})
    if territory.get("category") == "a-verifier":
        said.append("territoire : éligible, catégorie à préciser (QPV ou hors des grands "
                    "centres urbains)" if category_to_settle(dossier, shipped)
                    else "territoire : à vérifier")
    return " ; ".join(said)


def export_csv(dossiers: Iterable, tableur: bool = False,
               decisions: Mapping[int, object] | None = None) -> str:
    """The whole file: plain CSV (UTF-8, ``,``) or, with ``tableur``, for a French
    spreadsheet; ``decisions``: those of ``export_rows``."""
    rows = export_rows(dossiers, decisions)
    if tableur:
        return spreadsheet_csv(FRENCH_HEADERS, ([french_value(value) for value in row]
                                                for row in _labelled(rows)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([format_value(row[c]) for c in COLUMNS] for row in rows)
    return out.getvalue()


def export_xlsx(dossiers: Iterable, title: str = "Dossiers",
                decisions: Mapping[int, object] | None = None) -> bytes:
    """The spreadsheet's table as a workbook, each cell typed (codes as text)."""
    return spreadsheet_xlsx(FRENCH_HEADERS, _labelled(export_rows(dossiers, decisions)), title)


def _labelled(rows: list[dict]) -> Iterable[list]:
    """The rows' values in ``COLUMNS`` order, codes as the pages say them."""
    labels = _labels()
    for row in rows:
        shown = {**row, "categorie": row[SHOWN]}
        for check in UNDECIDED_SAID:  # a check neither true nor false, as the pages say it
            if shown[check] is None:
                shown[check] = "à vérifier"
        if isinstance(shown["session_jury_close_le"], date):  # a day as the pages say it
            shown["session_jury_close_le"] = f"{shown['session_jury_close_le']:%d/%m/%Y}"
        yield [labels[c].get(shown[c], shown[c]) if c in labels else shown[c] for c in COLUMNS]
