"""The checker's forms."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, StringField
from wtforms.validators import AnyOf, InputRequired, NumberRange, Optional, Regexp

from app.forms import Form, LocationFields, QueryForm, policy_field, strip
from geodata.eligibility.french_csv import SHOWS

__all__ = ["BatchDossiersForm", "LocationForm", "ResultRowsForm", "UploadForm"]


class LocationForm(QueryForm, LocationFields):
    """``/verifier?address=…`` or ``?lon=…&lat=…``, with ``policy``."""


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
