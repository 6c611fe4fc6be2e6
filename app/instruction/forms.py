"""The instructors' forms: a check kept with its dossier; the filters of a wave's dossiers."""

from __future__ import annotations

from datetime import date

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectMultipleField,
    StringField,
    ValidationError,
)
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional, Regexp

from app.forms import Form, LocationFields, QueryForm, known_policy, strip
from geodata.dossiers.records import KINDS
from geodata.dossiers.selection import CHECKS, NO_AVIS, SHOWN_CATEGORIES, SORTS, DossierFilter
from geodata.dossiers.states import workflow
from geodata.french import number
from geodata.policy import CATEGORIES, DEFAULT_POLICY
from loaders.dossier_rules import BY_WAVE

__all__ = ["AVIS_TEXT_MAX", "AvisForm", "CloseForm", "DecisionForm", "DossierForm", "DossiersQuery",
           "HistoryQuery", "ImportForm", "MatchForm", "MoveForm", "ReverseForm"]

FNT_CHOICES = {"oui": True, "non": False, "inconnu": None, "": None}
SPACES = (" ", "\u00a0", "\u202f", "€")


def _lower(value: str | None) -> str:
    return (value or "").strip().lower()


def _without_spaces(value: str | None) -> str:
    """75 000 €, 75 000: the digits alone."""
    value = value or ""
    for space in SPACES:
        value = value.replace(space, "")
    return value


def _whole_euros(_form, field) -> None:
    """ASCII digits only, at most 12 of them (the history refuses 2^31 € and more)."""
    if field.data and not (field.data.isascii() and field.data.isdecimal()
                           and len(field.data) <= 12):
        raise ValidationError("montant demandé : un nombre entier d'euros, par exemple 75000")


class DossierForm(Form, LocationFields):
    """``POST /instruction/historique``: the location checked again, and its dossier."""

    dossier_ref = StringField(default="")
    project_name = StringField(default="")
    wave = StringField(default="")
    fnt = StringField(default="", filters=[_lower],
                      validators=[AnyOf(list(FNT_CHOICES), message="FNT : oui, non ou inconnu")])
    funding_eur = StringField(default="", filters=[_without_spaces], validators=[_whole_euros])

    ERROR_ORDER = ("fnt", "funding_eur", "address", "lon", "lat", "policy")
    """The dossier's fields are reported before the location's."""

    def dossier(self) -> dict:
        """The dossier fields, typed (texts are trimmed when kept)."""
        return {"dossier_ref": self.dossier_ref.data, "project_name": self.project_name.data,
                "wave": self.wave.data, "fnt": FNT_CHOICES[self.fnt.data],
                "funding_eur": int(self.funding_eur.data) if self.funding_eur.data else None}

    def location_typed(self) -> dict:
        """The location's fields as typed (the empty ones left out), to fill the checker's
        form again."""
        typed = {name: (getattr(self, name).raw_data or [""])[0].strip()
                 for name in ("address", "lon", "lat", "policy")}
        return {name: value for name, value in typed.items() if value}


def _one_of(values, what: str) -> AnyOf:
    return AnyOf(["", *values], message=f"{what} inconnu(e) : choisissez dans la liste")


class DossiersQuery(QueryForm):
    """``GET /instruction/dossiers``: which dossiers, in which order, which page."""

    vague = StringField(default="", filters=[strip], validators=[Optional(), Regexp(
        r"^[\w-]{1,16}$", message="vague : 16 lettres, chiffres ou tirets au plus")])
    etat = StringField(default="", filters=[strip],
                       validators=[_one_of(workflow().labels, "état")])
    categorie = StringField(default="", filters=[strip],
                            validators=[_one_of(SHOWN_CATEGORIES, "catégorie")])
    departement = StringField(default="", filters=[strip], validators=[Optional(), Regexp(
        r"^(\d{2,3}|2[AB])$", message="département : un code comme 13, 2A ou 974")])
    type = StringField(default="", filters=[strip],
                       validators=[_one_of(KINDS, "type de Fabrique")])
    avis = StringField(default="", filters=[strip],
                       validators=[_one_of([*workflow().avis, NO_AVIS], "avis")])
    verification = StringField(default="", filters=[strip],
                               validators=[_one_of(CHECKS, "vérification")])
    recherche = StringField(default="", filters=[strip], validators=[Length(
        max=100, message="recherche : 100 caractères au plus")])
    tri = StringField(default="numero", filters=[strip], validators=[_one_of(SORTS, "tri")])
    page = IntegerField(default=1, validators=[Optional(), NumberRange(
        min=1, max=100_000, message="page : un nombre entier positif")])
    coche = IntegerField(default=None, validators=[Optional(), NumberRange(
        min=1, message="coche : un numéro de dossier")])
    """The dossier ticked on arrival (the dossier's page links here to change its state)."""

    ORDER = ("vague", "recherche", "etat", "avis", "categorie", "departement", "type",
             "verification", "tri", "page")

    def selection(self) -> DossierFilter:
        return DossierFilter(self.etat.data or None, self.categorie.data or None,
                             self.departement.data or None, self.type.data or None,
                             self.verification.data or None, self.avis.data or None,
                             self.recherche.data or None)

    def asked(self) -> dict:
        """The filters as given (the empty ones left out), for links and the export."""
        return {name: getattr(self, name).data for name in self.ORDER[:-1]
                if getattr(self, name).data}


FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def _day_in_range(form, field) -> None:
    """A day the history may hold (« 0001-01-01 » ended in an OverflowError, a 500)."""
    if field.data is not None and not FIRST_DAY <= field.data <= LAST_DAY:
        raise ValidationError(f"{field.name} : une date du {FIRST_DAY:%d/%m/%Y} au "
                              f"{LAST_DAY:%d/%m/%Y}")


class HistoryQuery(QueryForm):
    """``GET /instruction/historique`` (and its CSV): which kept checks, which page. The
    dates are days in Paris, both included."""

    vague = StringField(default="", filters=[strip], validators=[Optional(), Length(
        max=16, message="vague : 16 caractères au plus")])
    categorie = StringField(default="", filters=[strip],
                            validators=[_one_of(CATEGORIES, "catégorie")])
    auteur = IntegerField(validators=[Optional()])
    du = DateField(validators=[Optional(), _day_in_range], format="%Y-%m-%d")
    au = DateField(validators=[Optional(), _day_in_range], format="%Y-%m-%d")
    dossier = StringField(default="", filters=[strip], validators=[Length(
        max=100, message="dossier : 100 caractères au plus")])
    page = IntegerField(default=1, validators=[Optional(), NumberRange(
        min=1, max=100_000, message="page : un nombre entier positif")])

    ORDER = ("vague", "categorie", "auteur", "du", "au", "dossier", "page")
    NAMES = ORDER[:-1]

    def asked(self) -> dict:
        """The filters as given (the empty ones left out), for links and the export."""
        return {name: getattr(self, name).raw_data[0] for name in self.NAMES
                if getattr(self, name).data not in (None, "")}


class MoveForm(Form):
    """``POST /instruction/dossiers/etat``: move the dossiers ticked in the table, with a
    motivation (every bulk move is motivated), once confirmed."""

    numero = SelectMultipleField(coerce=str, validate_choice=False, validators=[
        DataRequired(message="cochez au moins un dossier")])
    vers = StringField(default="", filters=[strip], validators=[AnyOf(
        list(workflow().instruction_targets), message="état visé : choisissez dans la liste")])
    motivation = StringField(default="", filters=[strip], validators=[
        DataRequired(message="motivation obligatoire pour un changement d'état groupé"),
        Length(max=2000, message="motivation : 2 000 caractères au plus")])
    vague = StringField(default="", filters=[strip])
    retour = StringField(default="")
    """The list as it was filtered, sorted and paged, to go back to (a local path)."""
    confirme = HiddenField(default="")

    ORDER = ("numero", "vers", "motivation")

    def numbers(self) -> list[int] | None:
        """The dossiers ticked, or None when one is not a dossier number."""
        values = [value.strip() for value in self.numero.data or []]
        if not all(value.isascii() and value.isdigit() and len(value) <= 12
                   for value in values):
            return None
        return [int(value) for value in values]


AVIS_TEXT_MAX = 4000


def _avis_text_length(_form, field) -> None:
    """Not over ``AVIS_TEXT_MAX`` characters, saying how many were sent (the page keeps the
    text: the browser does not cut it, there is no ``maxlength``)."""
    if field.data and len(field.data) > AVIS_TEXT_MAX:
        raise ValidationError(f"texte de l'avis : {number(AVIS_TEXT_MAX)} caractères au plus, "
                              f"{number(len(field.data))} reçus : raccourcissez-le")


class AvisForm(Form):
    """``POST /instruction/dossiers/<numero>/avis``: a prefecture's avis and its text."""

    avis = StringField(default="", filters=[strip], validators=[AnyOf(
        list(workflow().avis), message="choisissez favorable, réservé ou défavorable")])
    texte = StringField(default="", filters=[strip], validators=[
        DataRequired(message="le texte de l'avis est obligatoire"), _avis_text_length])
    avis_vu = StringField(default=None)
    """The avis the page showed (``avis_stamp``): another recorded since is not replaced."""

    ORDER = ("avis", "texte")


class ImportForm(Form):
    """``POST /instruction/dossiers/import``: a Démarches Simplifiées export, its wave if
    given, the policy of the checks."""

    fichier = FileField(validators=[
        FileRequired(message="aucun fichier reçu : choisissez l'export Démarches Simplifiées"),
        FileAllowed(["xlsx", "ods", "csv"], message="un export .xlsx, .ods ou .csv est "
                                                    "attendu")])
    vague = StringField(default="", filters=[strip], validators=[Optional(), Regexp(
        r"^[\w-]{1,16}$", message="vague : 16 lettres, chiffres ou tirets au plus")])
    policy = StringField(default="", filters=[  # a policy, or ``BY_WAVE``
        strip, lambda value: value or DEFAULT_POLICY])

    ORDER = ("fichier", "vague", "policy")

    def validate_policy(self, field) -> None:
        if field.data != BY_WAVE:
            known_policy(self, field)

    def policy_name(self) -> str | None:
        """The rules to import under; None: those of the dossiers' waves."""
        return None if self.policy.data == BY_WAVE else self.policy.data



class DecisionForm(MoveForm):
    """``POST /instruction/jury/decisions``: the jury's decision on the dossiers ticked,
    with its motivation, once confirmed."""

    vers = StringField(default="", filters=[strip], validators=[AnyOf(
        sorted(workflow().jury_decisions), message="décision : choisissez dans la liste")])
    motivation = StringField(default="", filters=[strip], validators=[
        DataRequired(message="motivation obligatoire pour une décision du jury"),
        Length(max=2000, message="motivation : 2 000 caractères au plus")])
    session_vue = StringField(default="", filters=[strip])
    """The open session the confirmation page showed (its id, or empty when none was)."""

    def session_seen(self) -> int | None:
        """The session the confirmation showed, if it showed one: a decision is not taken
        in a session opened after it was closed since (its quotas were not those shown)."""
        value = self.session_vue.data or ""
        return int(value) if value.isascii() and value.isdigit() and len(value) <= 12 else None


class ReverseForm(MoveForm):
    """``POST /instruction/jury/annulation``: decisions of the open session reversed."""

    vers = HiddenField(default="")
    motivation = StringField(default="", filters=[strip], validators=[
        DataRequired(message="motivation obligatoire pour annuler une décision"),
        Length(max=2000, message="motivation : 2 000 caractères au plus")])
    decision_vue = IntegerField(validators=[Optional()])
    """The decision the page showed (its event's id): one taken since is not reversed."""


class CloseForm(Form):
    """``POST /instruction/jury/cloture``: the session closed, its members named."""

    vague = StringField(default="", filters=[strip], validators=[
        DataRequired(message="vague manquante")])
    membres = StringField(default="", filters=[strip], validators=[
        DataRequired(message="les membres présents sont obligatoires pour clore la session"),
        Length(max=4000, message="membres : 4 000 caractères au plus")])
    confirme = StringField(default="", validators=[AnyOf(
        ["oui"], message="cochez la case qui confirme la clôture")])
    decisions_vues = StringField(default="", filters=[strip])  # ``decisions_stamp``

    ORDER = ("membres", "confirme", "vague")


class MatchForm(Form):
    """``POST /instruction/jury/correspondance``: a decided laureate is the same Fabrique as
    a published one, or a distinct one."""

    laureat = StringField(default="", filters=[strip], validators=[Regexp(
        r"^ds-\d{1,12}$", message="lauréat décidé inconnu")])
    publie = StringField(default="", filters=[strip], validators=[Regexp(
        r"^(distinct|fabt-\d{1,4})$", message="choisissez une Fabrique publiée ou « distinct »")])
    vague = StringField(default="", filters=[strip])

    ORDER = ("laureat", "publie")
