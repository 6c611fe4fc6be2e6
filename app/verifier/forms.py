"""The checker's forms."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired

from app.forms import Form, LocationFields, QueryForm, policy_field

__all__ = ["LocationForm", "UploadForm"]


class LocationForm(QueryForm, LocationFields):
    """``/verifier?address=…`` or ``?lon=…&lat=…``, with ``policy``."""


class UploadForm(Form):
    """``POST /verifier/lot``: a CSV file of locations and the policy to apply."""

    policy = policy_field()
    file = FileField(validators=[
        FileRequired(message="Aucun fichier reçu : choisissez un fichier CSV.")])
