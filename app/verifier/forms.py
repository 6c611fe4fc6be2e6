"""The checker's forms."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, StringField
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional, Regexp

from app.forms import Form, LocationFields, QueryForm, policy_field, strip
from geodata.eligibility.french_csv import SHOWS

__all__ = ["AttestationForm", "BatchDossiersForm", "LocationForm", "ResultRowsForm",
           "UploadForm"]

DOSSIER_MAX, PROJECT_MAX = 60, 150
"""Characters at most of the attestation's dossier reference and project name."""
REFERENCE_MAX = 100
"""Characters at most of a dossier reference kept with a check (``geodata.storage.history``)."""


class LocationForm(QueryForm, LocationFields):
    """``/verifier?address=…`` or ``?lon=…&lat=…``, or ``?commune=INSEE`` (a commune chosen
    among homonyms when the address service was unreachable), with ``policy``; ``dossier``:
    the reference of the dossier the check is for (a dossier's page not located links
    here), filled in where the check is kept."""

    commune = StringField(default="", filters=[strip], validators=[
        Optional(), Regexp(r"^(?:\d{5}|2[ABab]\d{3})$",
                           message="commune : un code INSEE de 5 caractères (12202, 2A004)")])
    dossier = StringField(default="", filters=[strip], validators=[Length(
        max=REFERENCE_MAX, message=f"référence du dossier : {REFERENCE_MAX} caractères au plus")])

    def location_given(self) -> bool:
        """True when an address, a coordinate or a commune was given."""
        return bool(self.commune.data) or super().location_given()

    def location(self) -> dict:
        """The location as ``geodata.checks.check_location`` takes it (once validated)."""
        if self.commune.data and not self.address.data:
            return {"commune": self.commune.data}
        return super().location()


class AttestationForm(LocationForm):
    """``/verifier/attestation``: the location, and the applicant's dossier reference and
    project name, both optional, printed as given (escaped), length-limited."""

    dossier = StringField(default="", filters=[strip], validators=[Length(
        max=DOSSIER_MAX, message=f"référence du dossier : {DOSSIER_MAX} caractères au plus")])
    projet = StringField(default="", filters=[strip], validators=[Length(
        max=PROJECT_MAX, message=f"nom du projet : {PROJECT_MAX} caractères au plus")])


class UploadForm(Form):
    """``POST /verifier/lot``: a CSV file of locations and the policy to apply."""

    policy = policy_field()
    file = FileField(validators=[
        FileRequired(message="Aucun fichier reçu : choisissez un fichier CSV.")])


class ResultRowsForm(QueryForm):
    """``/verifier/lot/<id>?afficher=…&page=…``: which rows of a finished job to show."""

    afficher = StringField(default="", filters=[strip], validators=[
        AnyOf(list(SHOWS), message="choix des lignes inconnu")])
    page = IntegerField(default=1, validators=[Optional(), NumberRange(min=1)])


class BatchDossiersForm(Form):
    """``POST /verifier/lot/<id>/dossiers``: the wave whose dossiers a finished batch makes."""

    vague = StringField(filters=[strip], validators=[
        InputRequired(message="choisissez la vague des dossiers"),
        Regexp(r"^[\w-]{1,16}$", message="vague : 16 lettres, chiffres ou tirets au plus")])
