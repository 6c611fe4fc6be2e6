"""A Démarches Simplifiées export read as dossiers, through a mapping of column labels.

DS exports a procedure's dossiers as a spreadsheet (xlsx, ods or csv) whose ``Dossiers``
sheet has one row per dossier: its number (``ID``), state and dates, then one column per
form field. A mapping (``loaders/correspondances/NAME.toml``) says which column holds each
field of a dossier and what the form's answers mean. A row that cannot be read is reported
with its line, column and reason, and left out; the file itself (unreadable, required column
missing) is refused with a ``LoadError``.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from geodata.dossiers.calendar import Calendar
from geodata.dossiers.records import FNT, DossierInput, ds_state_code
from geodata.french import PARIS, agreed, lonlat
from geodata.french import number as figure
from loaders.dossier_places import some_numbers
from loaders.errors import LoadError
from loaders.read import CsvTable, read_csv, require_columns, require_file
from loaders.workbook import ESTABLISHMENTS, read_workbook

__all__ = ["MAPPINGS", "Intake", "Mapping", "RowError", "RowProblem", "RowProblems",
           "available_mappings", "dossier_number", "load_mapping", "read_dossiers",
           "siret_digits"]

MAPPINGS = Path(__file__).with_name("correspondances")
REQUIRED = ("numero", "depose_le")
MAX_TEXT = 1000
"""The longest value of a field read (a name, an address): a form's answer, not a page."""
AMOUNTS = ("montant_annee_1", "montant_annee_2", "montant_annee_3")
"""The yearly amounts asked for, in « nombre décimal » fields: DS exports such a field left
empty as 0, so an amount of 0 is read as not given (the funding check says it is missing
rather than judging a request of 0 €)."""
SPACES = re.compile(r"[\s\u00a0\u202f]+")
FRENCH_DATES = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")
"""The dates a spreadsheet may show in French; the others are ISO 8601, as
``datetime.fromisoformat`` reads them: a DS .csv writes « 2019-10-24 10:14:03 +0200 », a
DS .xlsx a date cell (Paris time) that keeps its fraction of a second (« 2019-09-12
10:14:03.483000 » once read as text), an .ods date cell may go to the nanosecond (« …
16:47:55.000000001 », cut to the microsecond) or hold its offset (« … 08:14:03+00:00 »
once read as text)."""


@dataclass(frozen=True)
class Mapping:
    name: str
    columns: dict[str, str]  # dossier field -> column label
    values: dict[str, dict]  # dossier field -> {answer: meaning}


@dataclass(frozen=True)
class RowError:
    """A row left out: its row as a spreadsheet numbers it (the header is row 1), the
    dossier it holds when its number could be read, the column at fault and why. A CSV
    whose earlier cells span several lines (an address on three lines) has its record start
    further down in a text editor: ``text_line`` then says where."""

    line: int
    column: str | None
    message: str
    dossier: int | None = None
    text_line: int | None = None

    @property
    def text_line_differs(self) -> bool:
        return self.text_line is not None and self.text_line != self.line

    def __str__(self) -> str:
        where = f"ligne {self.line}"
        if self.text_line_differs:
            where += f" (ligne {self.text_line} du fichier texte)"
        if self.dossier is not None:
            where += f", dossier {self.dossier}"
        if self.column:
            where += f", colonne « {self.column} »"
        return f"{where} : {self.message}"


@dataclass
class Intake:
    """The dossiers read from a file, the rows left out and why, and notes on the file."""

    path: Path
    dossiers: list[DossierInput] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    absent: tuple[str, ...] = ()  # the mapping's fields whose column the file lacks
    numbers: set[int] = field(default_factory=set)  # every readable number, rows left out too

    @property
    def left_out(self) -> int:
        """How many rows are left out (``errors`` says each of their problems)."""
        return len({error.line for error in self.errors})


def available_mappings() -> list[str]:
    return sorted(path.stem for path in MAPPINGS.glob("*.toml"))


def load_mapping(name: str) -> Mapping:
    """A shipped mapping, by name (compared before any path is built)."""
    known = available_mappings()
    if name not in known:
        raise LoadError(f"correspondance inconnue : « {name} » (disponibles : {', '.join(known)})")
    data = tomllib.loads((MAPPINGS / f"{name}.toml").read_text(encoding="utf-8"))
    return Mapping(name, dict(data["colonnes"]), {k: dict(v) for k, v in
                                                   data.get("valeurs", {}).items()})


def read_dossiers(path: str | Path, mapping: Mapping, calendar: Calendar,
                  wave: str | None = None) -> Intake:
    """The dossiers of a DS export; ``wave`` for all of them, else each from its filing date
    and the calendar."""
    columns = mapping.columns
    table = _read_table(Path(path), columns["numero"])
    require_columns(table.columns, [columns[name] for name in REQUIRED], table.path)
    absent = tuple(name for name, label in columns.items() if label not in table.columns)
    if ("longitude" in absent) != ("latitude" in absent):
        present, missing = ("latitude", "longitude") if "longitude" in absent \
            else ("longitude", "latitude")
        raise LoadError(f"colonne « {columns[missing]} » absente alors que « {columns[present]} "
                        "» est là : les deux vont ensemble (colonnes trouvées : "
                        f"{', '.join(table.columns)})", path=str(table.path),
                        field=columns[missing])
    intake = Intake(table.path, absent=absent)
    if table.encoding == "cp1252":
        intake.notes.append("fichier lu en Windows-1252 (un CSV enregistré par Excel) : il "
                            "n'est pas en UTF-8 ; vérifiez les accents des noms importés")
    if absent:
        intake.notes.append(
            f"{agreed('colonne(s) absente(s)', len(absent))} : "
            f"{', '.join(columns[name] for name in absent)} : champs "
            "laissés vides pour les nouveaux dossiers ; les dossiers déjà importés gardent "
            "leurs valeurs")
    seen: dict[int, int] = {}
    zeros: list[int] = []
    for row, (record, text_line) in enumerate(zip(table.rows, table.lines, strict=True), 2):
        number = None
        try:
            number = dossier_number(
                (record.get(columns["numero"]) or "").strip() or None, columns["numero"])
            intake.numbers.add(number)
        except RowProblem:
            pass  # said below, with the row's other problems
        try:
            dossier = _dossier(record, row, mapping, calendar, wave)
        except RowProblems as found:
            intake.errors += [RowError(row, problem.column, problem.message, number, text_line)
                              for problem in found.problems]
            continue
        if dossier.number in seen:
            intake.errors.append(RowError(row, columns["numero"],
                                          f"dossier {dossier.number} déjà lu ligne "
                                          f"{seen[dossier.number]} : ligne ignorée",
                                          number, text_line))
            continue
        seen[dossier.number] = row
        intake.dossiers.append(dossier)
        if _zero_amounts(dossier, columns):
            zeros.append(dossier.number)
    if zeros:
        intake.notes.append(f"{len(zeros)} {agreed('dossier(s)', len(zeros))} avec un montant "
                            "demandé à 0, lu comme "
                            "non renseigné (Démarches Simplifiées écrit 0 pour un champ nombre "
                            f"laissé vide) : {some_numbers(zeros)}")
    if not table.rows:
        intake.notes.append("aucune ligne de dossier dans le fichier, l'en-tête seulement : "
                            "est-ce le bon export ?")
    return intake


def _read_table(path: Path, number_column: str) -> CsvTable:
    """Every cell as text (empty when blank), with the line where each record starts; a
    workbook's dossiers with their establishment's columns (``_with_establishments``)."""
    if path.suffix.lower() == ".csv":
        return read_csv(path, required=[], windows_1252=True)
    if path.suffix.lower() not in (".xlsx", ".ods"):
        raise LoadError("format inconnu : un export Démarches Simplifiées en .xlsx, .ods ou "
                        ".csv est attendu", path=str(path))
    require_file(path)
    table = read_workbook(path)
    establishments = read_workbook(path, ESTABLISHMENTS)
    return table if establishments is None \
        else _with_establishments(table, establishments, number_column)


OWN_ESTABLISHMENT = ("Dossier ID", "Champ", "Dossier")
"""How DS's sheet « Etablissements » names a dossier's own establishment (its applicant's
SIRET): the dossier's number column, the column saying which field the row is for, and its
value for the dossier itself (else the label of a SIRET field of the form)."""


def _with_establishments(table: CsvTable, establishments: CsvTable,
                         number_column: str) -> CsvTable:
    """The dossiers of a DS workbook with the columns of their own establishment that their
    sheet lacks (« Établissement SIRET », « Entreprise forme juridique », …: DS writes them
    in « Etablissements » in a workbook, with the dossiers in a CSV); a dossier without
    one has them empty."""
    number, field, own = OWN_ESTABLISHMENT
    if number not in establishments.columns or field not in establishments.columns:
        return table
    found = {row[number].strip(): row for row in establishments.rows
             if row[field].strip() == own}
    added = [c for c in establishments.columns if c not in (number, field)
             and c not in table.columns]
    rows = [{**row, **{c: found.get(row.get(number_column, "").strip(), {}).get(c, "")
                       for c in added}} for row in table.rows]
    return replace(table, columns=[*table.columns, *added], rows=rows)


class RowProblem(ValueError):
    """Why a row is left out, and the column at fault."""

    def __init__(self, column: str | None, message: str):
        super().__init__(message)
        self.column, self.message = column, message


class RowProblems(ValueError):
    """Every problem of one row (``problems``), field by field: all said at once, so that
    one correction and one import fix the row."""

    def __init__(self, problems: list[RowProblem]):
        super().__init__(" ; ".join(problem.message for problem in problems))
        self.problems = problems


def _dossier(record: dict, line: int, mapping: Mapping, calendar: Calendar,
             wave: str | None) -> DossierInput:
    """The row's dossier; RowProblems with each field's problem."""
    columns, problems = mapping.columns, []

    def checked(read, *args):
        try:
            return read(*args)
        except RowProblem as problem:
            problems.append(problem)
            return None

    def text(name: str) -> str | None:
        value = (record.get(columns.get(name, ""), "") or "").strip()
        if len(value) > MAX_TEXT:
            problems.append(RowProblem(columns[name], f"{figure(len(value))} caractères : au "
                                       f"plus {figure(MAX_TEXT)} dans ce champ (un texte "
                                       "collé par erreur ?)"))
            return None
        return value or None

    number = checked(dossier_number, text("numero"), columns["numero"])
    filed = checked(_datetime, text("depose_le"), columns["depose_le"])
    if filed is not None:
        checked(_plausible, filed, calendar, columns["depose_le"])
    kind = checked(_answer, text("type_fabrique"), "type_fabrique", mapping)
    lon, lat = _location(text("longitude"), text("latitude"), columns, checked)
    said = {name: text(name) for name in ("email", "etat_demarche", "raison_sociale",
                                          "forme_juridique", "forme_juridique_code",
                                          "nom_projet", "adresse")}
    siret = checked(siret_digits, text("siret"), columns.get("siret"))
    existing = checked(_answer, text("lieu_existant"), "lieu_existant", mapping)
    amounts = tuple(checked(_euros, text(name), columns.get(name)) or None for name in AMOUNTS)
    if problems:
        raise RowProblems(problems)
    wave_note = None
    if wave is None:
        wave, wave_note = told_wave(calendar, filed, kind)
    return DossierInput(
        number=number, line=line, filed_at=filed, wave=wave, wave_note=wave_note,
        email=said["email"], ds_state=ds_state_code(said["etat_demarche"]), siret=siret,
        company_name=said["raison_sociale"], legal_form=said["forme_juridique"],
        legal_form_code=said["forme_juridique_code"], project_name=said["nom_projet"],
        kind=kind, existing_place=existing, address=said["adresse"], lon=lon, lat=lat,
        amounts=amounts,
        fields={label: record.get(label, "") for label in columns.values() if label in record},
    )


def _zero_amounts(dossier: DossierInput, columns: dict[str, str]) -> bool:
    """Whether a yearly amount of ``dossier`` was written, as 0, and read as not given."""
    return any(amount is None and (dossier.fields.get(columns.get(name, "")) or "").strip()
               for name, amount in zip(AMOUNTS, dossier.amounts, strict=True))


def told_wave(calendar: Calendar, filed: datetime, kind: str | None
              ) -> tuple[str | None, str | None]:
    """The wave the calendar gives a dossier filed at ``filed`` (its date in Paris) of type
    ``kind`` (None: unknown), or None with the reason."""
    found, note = calendar.wave_of(filed.astimezone(PARIS).date(),
                                   None if kind is None else kind == FNT)
    return (found.number, None) if found else (None, note)


def dossier_number(value: str | None, column: str) -> int:
    if value is None:
        raise RowProblem(column, "numéro de dossier absent")
    if not (value.isascii() and value.isdigit()) or len(value) > 12:
        raise RowProblem(column, f"numéro de dossier invalide : « {value} »")
    return int(value)


def _datetime(value: str | None, column: str) -> datetime:
    if value is None:
        raise RowProblem(column, "date de dépôt absente")
    for pattern in (None, *FRENCH_DATES):  # None: ISO 8601
        try:
            moment = datetime.fromisoformat(value) if pattern is None \
                else datetime.strptime(value, pattern)
        except ValueError:
            continue
        return moment if moment.tzinfo else moment.replace(tzinfo=PARIS)
    raise RowProblem(column, f"date illisible : « {value} » (attendu : AAAA-MM-JJ HH:MM:SS "
                              "+0100 ou JJ/MM/AAAA)")


def _plausible(filed: datetime, calendar: Calendar, column: str) -> None:
    """A filing date between the AMI's opening and tomorrow (read as written, before any
    conversion: « 0001-01-01 00:30 +0100 » ended in an OverflowError, « 9999-12-31 » took
    a dossier out of its wave)."""
    written = filed.replace(tzinfo=None).date()
    tomorrow = datetime.now(PARIS).date() + timedelta(days=1)
    if not calendar.opening <= written <= tomorrow:
        raise RowProblem(column, f"date de dépôt {written:%d/%m/%Y} hors de la période "
                                 f"possible (de l'ouverture de l'AMI, le "
                                 f"{calendar.opening:%d/%m/%Y}, à aujourd'hui)")


def _answer(value: str | None, name: str, mapping: Mapping):
    if value is None:
        return None
    meanings = mapping.values.get(name, {})
    if value not in meanings:
        raise RowProblem(mapping.columns[name], f"réponse inconnue « {value} » (attendues : "
                                                 f"{', '.join(f'« {m} »' for m in meanings)})")
    return meanings[value]


def _decimal(value: str | None, column: str) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        raise RowProblem(column, f"nombre attendu, pas « {value} »") from None
    if not math.isfinite(number):
        raise RowProblem(column, f"nombre fini attendu, pas « {value} »")
    return number


def _location(lon_text, lat_text, columns, checked) -> tuple[float | None, float | None]:
    """The point; each unreadable coordinate said (``checked``), then whether they agree."""
    lon = checked(_decimal, lon_text, columns.get("longitude"))
    lat = checked(_decimal, lat_text, columns.get("latitude"))
    if (lon is None and lon_text) or (lat is None and lat_text):
        return None, None  # already said
    return checked(_agreeing, lon, lat, columns) or (None, None)


def _agreeing(lon: float | None, lat: float | None,
              columns) -> tuple[float | None, float | None]:
    if (lon is None) != (lat is None):
        missing = columns.get("latitude") if lat is None else columns.get("longitude")
        raise RowProblem(missing, "longitude et latitude vont ensemble : l'une manque")
    if lon is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise RowProblem(columns.get("longitude" if abs(lon) > 180 else "latitude"),
                          f"coordonnées hors limites : {lonlat(lon, lat)}")
    return lon, lat


def _euros(value: str | None, column: str | None) -> int | None:
    if value is None:
        return None
    digits = SPACES.sub("", value).removesuffix("€").removesuffix("EUR")
    digits = re.sub(r"[.,]00?$", "", digits)
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 9:
        raise RowProblem(column, f"montant en euros attendu (par exemple 50 000), pas "
                                  f"« {value} »")
    return int(digits)


def siret_digits(value: str | None, column: str | None) -> str | None:
    if value is None:
        return None
    digits = SPACES.sub("", value)
    if not (digits.isascii() and digits.isdigit() and len(digits) == 14):
        raise RowProblem(column, f"SIRET invalide : « {value} » (14 chiffres)")
    return digits

