"""What every room's forms share (WTForms through Flask-WTF): French messages, the query-string
flavour of a form, and the fields several forms declare.

``Form`` is a form sent by POST, with its CSRF token; ``QueryForm`` reads the query string of
a GET page (filters, a location), which carries no token. Both speak French: WTForms' own
messages come from its French catalogue, ours are written in French. A view builds the form,
calls ``validate()`` and reads ``form.data``; templates keep rendering their DSFR markup.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import request
from flask_wtf import FlaskForm
from wtforms import Field, StringField, ValidationError
from wtforms import Form as BareForm

from geodata.policy import DEFAULT_POLICY, PolicyError, load_policy

__all__ = ["Form", "QueryForm", "first_error", "known_policy", "policy_field", "strip"]


class Form(FlaskForm):
    """A form sent by POST: CSRF token checked, messages in French."""

    class Meta:
        locales = ("fr",)


class QueryForm(Form):
    """A form read from the query string (``request.args``), without a CSRF token."""

    class Meta:
        csrf = False

    def __init__(self, formdata=None, **kwargs):
        super().__init__(formdata=request.args if formdata is None else formdata, **kwargs)


def strip(value):
    """Leading and trailing spaces removed; absent stays absent."""
    return value.strip() if isinstance(value, str) else value


def known_policy(_form: BareForm, field: Field) -> None:
    """A policy shipped with the service (``geodata/policies``)."""
    try:
        load_policy(field.data)
    except PolicyError as error:
        raise ValidationError(str(error)) from None


def policy_field(name: str | None = None) -> StringField:
    """The policy a page applies: the default one when the field is empty."""
    return StringField(name=name, filters=[strip, lambda value: value or DEFAULT_POLICY],
                       validators=[known_policy])


def first_error(form: BareForm, order: Iterable[str] | None = None) -> tuple[str, str] | None:
    """(field name, message) of the first field in error, in declaration order or ``order``."""
    for name in order or form._fields:
        if form.errors.get(name):
            return name, form.errors[name][0]
    return None
