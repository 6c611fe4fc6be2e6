"""The form an instructor records a deliverable with (CSRF checked, messages in French)."""

from __future__ import annotations

from wtforms import StringField, ValidationError
from wtforms.validators import AnyOf, DataRequired, Length

from app.forms import Form, strip
from geodata.deliverables import LICENCES, MAX_TITLE, DeliverableError, check_url

__all__ = ["DeliverableForm"]


def _url(_form, field) -> None:
    """An http or https address (``geodata.deliverables.check_url``)."""
    try:
        field.data = check_url(field.data)
    except DeliverableError as error:
        raise ValidationError(str(error)) from None


class DeliverableForm(Form):
    """``POST /fabriques/<id>/livrables``: a title, a link, a licence of the short list."""

    title = StringField("Titre", filters=[strip], validators=[
        DataRequired("titre manquant"),
        Length(max=MAX_TITLE, message=f"titre trop long : {MAX_TITLE} caractères au plus")])
    url = StringField("Adresse (URL)", filters=[strip], validators=[_url])
    licence = StringField("Licence", default="autre", filters=[strip], validators=[
        AnyOf(list(LICENCES), message="licence inconnue : choisissez-en une de la liste")])
