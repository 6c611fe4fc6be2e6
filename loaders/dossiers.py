"""Importing a wave's dossiers: read a Démarches Simplifiées export, place each dossier
(its coordinates, or its address through the BAN batch search), check it (territory by the
engine, legal form, funding request) and store it, in one transaction.

Rows that cannot be read are reported with their line and reason and left out; the others
are imported. A dossier already imported (same DS number) is updated, never duplicated, and
what the instruction recorded is kept. An address the BAN cannot place (or a BAN out of
reach) leaves the dossier without location: its territory is undetermined, and said so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import Engine

from geodata.dossiers.calendar import Calendar, load_calendar
from geodata.dossiers.checks import funding_finding, legal_form_finding, read_nomenclature
from geodata.dossiers.nearby import nearby_sentence
from geodata.dossiers.records import DossierInput, Finding
from geodata.dossiers.states import workflow
from geodata.eligibility import classify, rows
from geodata.eligibility.missing import departement_of
from geodata.french import agreed
from geodata.networks import FABRIQUE, nearest_of_kinds
from geodata.policy import load_policy, policy_title
from geodata.storage.dossiers import (
    FIELD_LABELS,
    StoreReport,
    find_dossiers,
    list_dossiers,
    store_dossiers,
    stored_departements,
    stored_policies,
)
from geodata.storage.jury_laureates import refresh_jury_laureates
from geodata.storage.networks import place_layer
from geodata.storage.reference import reference_index
from geodata.territories import TerritoryError, territory_of_lonlat
from loaders.batch_dossiers import read_batch_dossiers
from loaders.dossier_places import (
    UNREACHABLE,
    departements_changed,
    keep_known_places,
    locate,
    read_addresses,
    some_numbers,
)
from loaders.dossier_rules import rules_of_wave, rules_of_waves
from loaders.ds_export import Intake, load_mapping, read_dossiers, told_wave
from loaders.errors import LoadError

__all__ = ["ImportReport", "import_batch_dossiers", "import_dossiers", "reverify_dossiers",
           "territory_finding"]

NEARBY = {"fabrique": (FABRIQUE,),
          "tiers_lieu": ("tiers-lieu-cget-2019", "tiers-lieu-france-tiers-lieux")}
"""The places a dossier's neighbourhood is measured against."""
TERRITORY_KEYS = ("category", "commune_code", "commune_name", "in_qpv", "qpv_code",
                  "nearest_qpv_code", "distance_to_qpv_m", "near_qpv",
                  "outside_large_urban_centre", "precision", "explanation")


@dataclass
class ImportReport:
    intake: Intake
    stored: StoreReport
    not_located: dict[int, str] = field(default_factory=dict)  # number -> why
    notes: list[str] = field(default_factory=list)


def import_dossiers(engine: Engine, geocoder, path: str | Path, *, data_dir: Path,
                    mapping: str = "ami-2019", wave: str | None = None,
                    policy_name: str | None = "current", calendar_file: Path | None = None,
                    actor: str = "import") -> ImportReport:
    """Import the DS export at ``path``; ``geocoder`` has the BAN client's ``search_csv``.
    ``policy_name`` None: the rules the calendar gives the dossiers' waves
    (``rules_of_waves``)."""
    if policy_name is not None:
        load_policy(policy_name)  # an unknown name refuses the file before it is read
    calendar = load_calendar(calendar_file)
    if wave is not None and calendar.wave(wave) is None:
        raise LoadError(f"vague inconnue du calendrier : « {wave} » (connues : "
                        f"{', '.join(w.number for w in calendar.waves)})")
    intake = read_dossiers(path, load_mapping(mapping), calendar, wave)
    before, departements = stored_policies(engine), stored_departements(engine)
    dossiers, places = _with_stored_values(engine, intake, calendar, told=wave is None)
    policy = load_policy(policy_name or rules_of_waves(dossiers, calendar, path))
    stored, not_located, notes = _check_and_store(engine, geocoder, dossiers, policy,
                                                  data_dir, actor, places)
    if policy_name is None:
        notes.insert(0, f"règles de la ou des vagues du fichier : « {policy.title} »")
    notes += _rules_changed(intake, before, policy)
    notes += departements_changed(engine, departements)
    absent = _absent_from_file(engine, intake)
    if absent:
        waves = sorted({d.wave for d in intake.dossiers if d.wave is not None})
        notes.append(f"{len(absent)} " + agreed(
            "dossier(s) déjà importé(s) " + agreed("(de la vague|des vagues) ", len(waves))
            + ", ".join(waves) + " (n'est|ne sont) pas dans ce fichier (gardé(s) tel(s) "
            "quel(s) ; retiré(s) de Démarches Simplifiées ?) : ", len(absent))
            + some_numbers(absent))
    if stored.decided_kept:
        notes.append(_decisions_kept(stored.decided_kept))
    return ImportReport(intake, stored, not_located, notes)


def _decided_and_placed(engine: Engine, dossiers: list[DossierInput]) -> set[int]:
    """The dossiers a jury decided that have a commune: an import keeps their place
    (``geodata.storage.dossiers.AFTER_DECISION``), so what their export's place says is
    not for the report."""
    decided = workflow().decided
    return {number for number, dossier in find_dossiers(engine, [d.number for d in dossiers])
            .items() if dossier.state in decided and dossier.commune_code}


def _decisions_kept(kept: dict[int, list[str]]) -> str:
    """What the report says of the decided dossiers whose export differs from their
    decision's facts (kept: the export's values are in their history)."""
    shown = ", ".join(f"{number} ({', '.join(FIELD_LABELS[f] for f in fields)})"
                      for number, fields in sorted(kept.items())[:10])
    more = f" et {len(kept) - 10} {agreed('autre(s)', len(kept) - 10)}" if len(kept) > 10 else ""
    return f"{len(kept)} " + agreed(
        "dossier(s) déjà décidé(s) par le jury (garde|gardent) les valeurs de (sa|leur) "
        "décision (lieu, catégorie, type, montants, SIRET, noms, vague) ; ce que l'export "
        "en change est noté dans (son|leur) historique, sans être appliqué : ",
        len(kept)) + shown + more


def _rules_changed(intake, before: dict[int, str], policy) -> list[str]:
    """What the report says of the dossiers checked again under other rules than before: an
    import under the page's default rules flipped a whole wave's categories silently."""
    changed: dict[str, list[int]] = {}
    for dossier in intake.dossiers:
        former = before.get(dossier.number)
        if former is not None and former != policy.name:
            changed.setdefault(former, []).append(dossier.number)
    said = []
    for former, numbers in sorted(changed.items()):
        title = policy_title(former) or former
        count, verb = len(numbers), agreed("(l'est|le sont)", len(numbers))
        said.append(f"{count} {agreed('dossier(s) vérifié(s)', count)} jusqu'ici selon "
                    f"« {title} » {verb} désormais selon « {policy.title} » : "
                    f"{agreed('(sa|leur)', count)} catégorie peut changer "
                    f"(importez avec « {title} » pour garder ces règles) : "
                    f"{some_numbers(sorted(numbers))}")
    return said


def _absent_from_file(engine: Engine, intake) -> list[int]:
    """The stored dossiers of the waves the file holds that the file does not list."""
    waves = sorted({d.wave for d in intake.dossiers if d.wave is not None})
    return sorted(d.number for wave in waves for d in list_dossiers(engine, wave)
                  if d.number not in intake.numbers)


ABSENT_FIELDS = {
    "email": "email", "etat_demarche": "ds_state", "siret": "siret",
    "raison_sociale": "company_name", "forme_juridique": "legal_form",
    "forme_juridique_code": "legal_form_code", "nom_projet": "project_name",
    "type_fabrique": "kind", "lieu_existant": "existing_place", "adresse": "address",
}
"""The field of a ``DossierInput`` each field of a mapping fills (the amounts and the place
apart)."""


def _with_stored_values(engine: Engine, intake, calendar: Calendar, *, told: bool
                        ) -> tuple[list[DossierInput], dict]:
    """The dossiers read, where a column the file lacks takes each known dossier's stored
    value (an export with a renamed column erased them); with, when the file has no
    coordinates, the stored place of each known dossier whose address is unchanged. When
    the wave is ``told`` by the calendar, a known dossier's stored type tells it if the file
    has none (wave 1 admitted FNT only: without the type column its dossiers lost their
    wave)."""
    absent = set(intake.absent)
    if not absent:
        return intake.dossiers, {}
    known = find_dossiers(engine, [d.number for d in intake.dossiers])
    dossiers, places = [], {}
    for dossier in intake.dossiers:
        stored = known.get(dossier.number)
        if stored is None:
            dossiers.append(dossier)
            continue
        kept = {ABSENT_FIELDS[name]: getattr(stored, ABSENT_FIELDS[name])
                for name in absent if name in ABSENT_FIELDS}
        amounts = tuple(getattr(stored, f"amount_{year}") if f"montant_annee_{year}" in absent
                        else read for year, read in enumerate(dossier.amounts, start=1))
        address = kept.get("address", dossier.address)
        if "longitude" in absent and stored.lon is not None and address == stored.address:
            places[dossier.number] = (stored.lon, stored.lat, stored.precision,
                                      stored.geocoded_label, stored.commune_code)
        fields = {**(stored.source or {}), **dossier.fields}
        if told and "type_fabrique" in absent and dossier.filed_at is not None:
            wave, note = told_wave(calendar, dossier.filed_at, stored.kind)
            kept.update(wave=wave, wave_note=note)
        dossiers.append(replace(dossier, **kept, amounts=amounts, fields=fields))
    return dossiers, places


def import_batch_dossiers(engine: Engine, geocoder, data: bytes, name: str, *, wave: str,
                          data_dir: Path, policy_name: str = "current",
                          calendar_file: Path | None = None,
                          actor: str = "import") -> ImportReport:
    """Create the dossiers of wave ``wave`` from a checker's batch (``name``: its file name;
    ``loaders.batch_dossiers``). A dossier already stored is left as it was (``kept``):
    its application comes from the Démarches Simplifiées export, which a batch does not
    replace."""
    policy = load_policy(policy_name)
    if load_calendar(calendar_file).wave(wave) is None:
        raise LoadError(f"vague inconnue du calendrier : « {wave} »")
    intake = read_batch_dossiers(data, name, wave)
    known = find_dossiers(engine, [d.number for d in intake.dossiers])
    stored, not_located, notes = _check_and_store(
        engine, geocoder, [d for d in intake.dossiers if d.number not in known], policy,
        data_dir, actor, only_new=True, origin={"lot": name})
    stored.kept = sorted({*stored.kept, *known})
    return ImportReport(intake, stored, not_located, notes)


def reverify_dossiers(engine: Engine, geocoder, *, data_dir: Path, wave: str | None = None,
                      policy_name: str | None = "current", actor: str = "verification",
                      calendar_file: Path | None = None, numbers: set[int] | None = None
                      ) -> tuple[StoreReport, dict[int, str], list[str]]:
    """Check the stored dossiers (of ``wave``, among ``numbers``) again with today's data
    and ``policy_name`` (None: the rules the calendar gives each one's wave): the located
    where they are, the others by their address again. Each dossier whose checks change
    gets an event; what the instruction recorded is kept."""
    stored = [d for d in list_dossiers(engine, wave, whole=True)
              if numbers is None or d.number in numbers]
    groups: dict[str, list] = {}
    if policy_name:
        groups[policy_name] = stored
    else:
        calendar = load_calendar(calendar_file)
        for dossier in stored:
            groups.setdefault(rules_of_wave(calendar, dossier.wave), []).append(dossier)
    report, not_located, notes = StoreReport(), {}, []
    for name, dossiers in sorted(groups.items()):
        places = {d.number: (d.lon, d.lat, d.precision, d.geocoded_label, d.commune_code)
                  for d in dossiers if d.lon is not None}
        done, unplaced, said = _check_and_store(
            engine, geocoder, [_stored_input(d) for d in dossiers], load_policy(name),
            data_dir, actor, places)
        report.add(done)
        not_located.update(unplaced)
        if policy_name is None:
            said = [f"{len(dossiers)} {agreed('dossier(s)', len(dossiers))} selon "
                    f"« {policy_title(name) or name} »", *said]
        notes += said
    return report, not_located, notes


def _stored_input(dossier) -> DossierInput:
    """A stored dossier as the application it came from."""
    return DossierInput(
        number=dossier.number, line=0, filed_at=dossier.filed_at, wave=dossier.wave,
        wave_note=(dossier.checks.get("vague") or {}).get("reason"), email=dossier.email,
        ds_state=dossier.ds_state, siret=dossier.siret, company_name=dossier.company_name,
        legal_form=dossier.legal_form, legal_form_code=dossier.legal_form_code,
        project_name=dossier.project_name, kind=dossier.kind,
        existing_place=dossier.existing_place, address=dossier.address,
        amounts=(dossier.amount_1, dossier.amount_2, dossier.amount_3),
        fields=dossier.source)


def _check_and_store(engine: Engine, geocoder, dossiers: list[DossierInput], policy,
                     data_dir: Path, actor: str, places: dict | None = None, **storing):
    """Place (unless ``places`` knows where), check and store ``dossiers`` (``storing``: how,
    as ``store_dossiers`` takes it)."""
    known = places or {}
    found, not_located, failure = locate([d for d in dossiers if d.number not in known],
                                          geocoder)
    places = {**known, **found}
    kept = keep_known_places(engine, dossiers, places, not_located)
    notes = []
    if failure is not None:  # counted once the places of a former import are kept
        unplaced = sum(why == UNREACHABLE for why in not_located.values())
        notes.append(f"géocodage impossible ({failure}) : {unplaced} "
                     f"{agreed('dossier(s)', unplaced)} sans "
                     "localisation, à importer de nouveau plus tard")
    index = reference_index(engine, policy.qpv_vintage)
    located = [d for d in dossiers if d.number in places]
    verdicts = dict(zip([d.number for d in located], rows(classify(
        index, policy, [places[d.number][0] for d in located],
        [places[d.number][1] for d in located], [places[d.number][2] for d in located],
        commune_codes=[places[d.number][4] for d in located])), strict=True)) \
        if located else {}
    nomenclature = read_nomenclature(data_dir)
    versions = list(index.dataset_versions)
    nearby = _nearby(engine, {d.number: places[d.number] for d in located})
    values = [_values(d, places.get(d.number),
                      kept.get(d.number) or territory_finding(verdicts.get(d.number),
                                                              not_located.get(d.number)),
                      policy, nomenclature, versions) for d in dossiers]
    for d, value in zip(dossiers, values, strict=True):
        value["checks"]["non_pourvu"] = nearby.get(d.number) or {
            "reason": "dossier non localisé : distances aux lieux inconnues"}
    placed = _decided_and_placed(engine, dossiers)  # the export's place is not theirs
    read_addresses(engine, [v for v in values if v["number"] not in placed], notes)
    outside = [number for number, verdict in verdicts.items()
               if verdict.get("error") and number not in placed]
    if outside:
        notes.append(f"{len(outside)} {agreed('dossier(s) placé(s)', len(outside))} hors des "
                     "territoires couverts "
                     f"(longitude et latitude inversées ?), territoire à vérifier : "
                     f"{some_numbers(outside)}")
    report = store_dossiers(engine, values, actor, **storing)
    refreshed = refresh_jury_laureates(engine)
    if refreshed is not None:
        notes.append(f"lauréats des jurys réécrits dans la table des Fabriques d'après les "
                     f"dossiers du jour (les montants restent ceux que le jury a vus) : "
                     f"{refreshed.written} {agreed('écrit(s)', refreshed.written)}" + (
                         f", sans commune (à localiser) : {some_numbers(refreshed.without_commune)}"
                         if refreshed.without_commune else ""))
    return report, not_located, notes


def _nearby(engine: Engine, located: dict[int, tuple]) -> dict[int, dict]:
    """For each located dossier (number -> place): the nearest Fabrique and the nearest
    tiers-lieu already loaded, in metres (is the territory "non pourvu"?)."""
    if not located:
        return {}
    layer = place_layer(engine)
    lons, lats = [p[0] for p in located.values()], [p[1] for p in located.values()]
    territories = [_territory(lon, lat) for lon, lat in zip(lons, lats, strict=True)]
    found = {kind: nearest_of_kinds(layer, lons, lats, territories, kinds)
             for kind, kinds in NEARBY.items()}
    out = {}
    for i, number in enumerate(located):
        facts = {kind: None if found[kind][i] is None else _place(layer, *found[kind][i])
                 for kind in NEARBY}
        out[number] = {**facts, "reason": nearby_sentence(facts)}
    return out


def _place(layer, metres: float, row: int) -> dict:
    return {"distance_m": round(metres), "id": str(layer.external_ids[row]),
            "name": str(layer.names[row])}


def _territory(lon: float, lat: float) -> str | None:
    try:
        return territory_of_lonlat(lon, lat).code
    except TerritoryError:
        return None


def territory_finding(verdict: dict | None, not_located: str | None) -> dict:
    """The engine's answer kept with a dossier (``TERRITORY_KEYS``), or why there is none."""
    if verdict is None:
        return {"category": "a-verifier", "explanation": f"Non localisé : {not_located}."}
    if verdict.get("error"):  # coordinates outside every territory: swapped, or wrong
        return {"category": "a-verifier", "precision": verdict.get("precision"),
                "explanation": f"Lieu {verdict['error']} : coordonnées à vérifier "
                               "(longitude et latitude inversées ?)."}
    return {key: verdict.get(key) for key in TERRITORY_KEYS}


def _values(dossier: DossierInput, place, territory: dict, policy, nomenclature,
            versions: list) -> dict:
    commune = territory.get("commune_code")
    amounts = list(dossier.amounts) + [None] * (3 - len(dossier.amounts))
    checks = {
        "territoire": territory,
        "forme_juridique": legal_form_finding(dossier.legal_form_code, policy,
                                              nomenclature).as_dict(),
        "financement": funding_finding(dossier.amounts, dossier.kind, policy).as_dict(),
    }
    if dossier.wave is None:
        checks["vague"] = Finding(None, dossier.wave_note or "vague inconnue").as_dict()
    lon, lat, precision, label, _ = place or (None, None, None, None, None)
    return {
        "number": dossier.number, "line": dossier.line, "wave": dossier.wave,
        "filed_at": dossier.filed_at, "email": dossier.email, "ds_state": dossier.ds_state,
        "siret": dossier.siret, "company_name": dossier.company_name,
        "legal_form": dossier.legal_form, "legal_form_code": dossier.legal_form_code,
        "project_name": dossier.project_name, "kind": dossier.kind,
        "existing_place": dossier.existing_place, "address": dossier.address,
        "lon": lon, "lat": lat, "precision": precision, "geocoded_label": label,
        "amount_1": amounts[0], "amount_2": amounts[1], "amount_3": amounts[2],
        "category": territory["category"], "commune_code": commune,
        "departement_code": departement_of(commune) if commune else None, "checks": checks,
        "policy": policy.name, "dataset_versions": versions, "source": dossier.fields,
    }

