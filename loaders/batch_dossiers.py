"""A checker's batch (``/verifier/lot``) read as the dossiers of a wave.

An instructor who checked a wave's places as a batch can turn that batch into dossiers
without typing anything again. The batch's ``id`` column must hold each dossier's number on
Démarches Simplifiées (the key a later import of the wave's export updates); the place is
the batch's coordinates, or its address (with ``code_postal`` and ``ville`` when given),
which the import geocodes. A batch says nothing of the filing date, the applicant or the
amounts, unless it has the dossier export's columns ``nom_projet``, ``raison_sociale``,
``siret``, ``forme_juridique_code`` or ``type_fabrique``: what it does not say stays empty,
and the checks that need it stay undetermined, never guessed.

A row whose ``id`` is not a DS number, which repeats one, or which the batch reader refused
(no place, coordinates out of range) is reported with its line and left out.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from geodata.dossiers.records import FNT, FT, KINDS, DossierInput
from geodata.eligibility.addresses import AddressLocations, read_batch
from geodata.eligibility.reading import BatchError, read_table
from loaders.ds_export import Intake, RowError, RowProblem, dossier_number, siret_digits
from loaders.errors import LoadError

__all__ = ["OPTIONAL_COLUMNS", "read_batch_dossiers"]

OPTIONAL_COLUMNS = ("nom_projet", "raison_sociale", "siret", "forme_juridique_code",
                    "type_fabrique")
"""The dossier export's columns a batch may carry, read when present."""
KIND_ANSWERS = {FT: FT, FNT: FNT, **{label.lower(): code for code, label in KINDS.items()}}


def read_batch_dossiers(data: bytes, name: str, wave: str) -> Intake:
    """The dossiers of wave ``wave`` in a batch file's bytes (``name``: its file name)."""
    try:
        locations = read_batch(data)
        records = {line: record for line, record in read_table(data).records}
    except BatchError as error:
        raise LoadError(f"lot illisible : {error}", path=name) from None
    intake = Intake(Path(name))
    seen: dict[int, int] = {}
    for position, line in enumerate(locations.lines):
        record = records.get(line, {})
        if position in locations.errors:
            message = locations.errors[position].split(" : ", 1)[-1]
            intake.errors.append(RowError(line, None, message))
            continue
        try:
            dossier = _dossier(locations, position, line, record, wave)
        except RowProblem as problem:
            intake.errors.append(RowError(line, problem.column, problem.message))
            continue
        if dossier.number in seen:
            intake.errors.append(RowError(line, "id", f"dossier {dossier.number} déjà lu "
                                                      f"ligne {seen[dossier.number]} : ligne "
                                                      "ignorée"))
            continue
        seen[dossier.number] = line
        intake.dossiers.append(dossier)
    return intake


def _dossier(locations, position: int, line: int, record: dict, wave: str) -> DossierInput:
    identifier = locations.ids[position]
    if not (identifier.isascii() and identifier.isdigit()):
        raise RowProblem("id", f"identifiant « {identifier} » : le numéro du dossier sur "
                               "Démarches Simplifiées est attendu")
    number = dossier_number(identifier, "id")

    def text(column: str) -> str | None:
        return " ".join((record.get(column) or "").split()) or None

    lon, lat = float(locations.lon[position]), float(locations.lat[position])
    located = not (np.isnan(lon) or np.isnan(lat))
    return DossierInput(
        number=number, line=line, filed_at=None, wave=wave,
        siret=siret_digits(text("siret"), "siret"), company_name=text("raison_sociale"),
        legal_form_code=text("forme_juridique_code"), project_name=text("nom_projet"),
        kind=_kind(text("type_fabrique")),
        address=None if located else _address(locations, position),
        lon=lon if located else None, lat=lat if located else None,
        fields={column: value for column, value in record.items() if value.strip()})


def _kind(value: str | None) -> str | None:
    if value is None:
        return None
    kind = KIND_ANSWERS.get(value) or KIND_ANSWERS.get(value.lower())
    if kind is None:
        raise RowProblem("type_fabrique", f"type inconnu « {value} » (attendus : FT, FNT, "
                                          f"{', '.join(KINDS.values())})")
    return kind


def _address(locations, position: int) -> str | None:
    """The batch's address of a row, its postcode and town after it, as the BAN reads it."""
    if not isinstance(locations, AddressLocations):
        return None
    query = locations.queries[position] or {}
    parts = (query.get("adresse"), query.get("code_postal"), query.get("ville"))
    return " ".join(part for part in parts if part) or None
