"""What every room's forms share (WTForms through Flask-WTF): French messages, the query-string
flavour of a form, and the fields several forms declare.

``Form`` is a form sent by POST, with its CSRF token; ``QueryForm`` reads the query string of
a GET page (filters, a location), which carries no token. Both speak French: WTForms' own
messages come from its French catalogue, ours are written in French. A view builds the form,
calls ``validate()`` and reads ``form.data``; templates keep rendering their DSFR markup.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, current_app, request, session
from flask_wtf import FlaskForm
from wtforms import Field, StringField, ValidationError
from wtforms import Form as BareForm

from geodata.checks import LocationError, parse_coordinate
from geodata.policy import DEFAULT_POLICY, PolicyError, available_policies, load_policy

__all__ = ["Form", "LocationFields", "QueryForm", "first_error", "init_app", "keep_for_next_page",
           "kept_from_last_post", "known_policy", "policy_choices", "policy_field", "strip"]


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
    """Leading and trailing spaces removed, line breaks as one character; absent stays
    absent. A browser counts a textarea's line break as one character against its
    ``maxlength`` and sends two (CR LF): 1,967 characters typed were refused as over 2,000."""
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def known_policy(_form: BareForm, field: Field) -> None:
    """A policy shipped with the service (``geodata/policies``)."""
    try:
        load_policy(field.data)
    except PolicyError as error:
        raise ValidationError(str(error)) from None


def policy_field(name: str | None = None) -> StringField:
    """The policy a page applies: the default one when the field is empty."""
    return StringField(name=name, default="",
                       filters=[strip, lambda value: value or DEFAULT_POLICY],
                       validators=[known_policy])


def policy_choices() -> list[tuple[str, str]]:
    """(name, title) of each shipped policy: the options of every policy select."""
    return [(name, load_policy(name).title) for name in available_policies()]


def init_app(app: Flask) -> None:
    """Give every template ``policy_choices()``."""
    app.add_template_global(policy_choices)


def first_error(form: BareForm, order: Iterable[str] | None = None) -> tuple[str, str] | None:
    """(field name, message) of the first field in error: those of ``order`` first, then the
    others in declaration order."""
    for name in [*(order or ()), *form._fields]:
        if form.errors.get(name):
            return name, form.errors[name][0]
    return None


COOKIE_ATTRIBUTES = 256
"""What the session cookie's header takes besides its value (name, expiry, flags), at most."""


def keep_for_next_page(name: str, values: dict) -> bool:
    """Keep ``values`` in the session for the page a refused form redirects to (Post/Redirect/
    Get: « Précédent » and a reload no longer send the form again), if the session cookie
    stays within what a browser keeps (``MAX_COOKIE_SIZE``): a browser drops a bigger one,
    and what was typed with it. False when not kept: the caller answers with the page."""
    session[name] = values
    signer = current_app.session_interface.get_signing_serializer(current_app)
    if signer is not None and len(signer.dumps(dict(session))) + COOKIE_ATTRIBUTES <= \
            current_app.config.get("MAX_COOKIE_SIZE", 4093):
        return True
    session.pop(name)
    return False


def kept_from_last_post(name: str) -> dict | None:
    """What ``keep_for_next_page`` kept under ``name``, once (None: nothing kept)."""
    return session.pop(name, None)


COORDINATE_WORDS = {"lon": ("la longitude", "5,4034"), "lat": ("la latitude", "43,3305")}
"""How a page names a coordinate field, and an example: a person reads « la longitude »,
not the API's parameter « lon »."""


def _coordinate(form: BareForm, field: Field) -> None:
    """A decimal number of degrees ("5,4034" accepted), unless an address (or, where the
    form has one, a commune) is given."""
    if form.address.data or getattr(getattr(form, "commune", None), "data", None):
        return
    try:
        parse_coordinate(field.data, field.name)
    except LocationError:
        words, example = COORDINATE_WORDS[field.name]
        typed = (field.data or "").strip()
        if not typed:
            raise ValidationError(f"indiquez aussi {words} (degrés décimaux, par exemple "
                                  f"{example})") from None
        raise ValidationError(f"{words[0].upper()}{words[1:]} doit être un nombre de degrés "
                              f"décimaux, par exemple {example} (reçu « {typed[:40]} »)"
                              ) from None


class LocationFields:
    """A location to check, for a form class to inherit: an address (geocoded by the BAN), or
    a longitude and a latitude (WGS84), and the policy to apply."""

    address = StringField(default="", filters=[strip])
    lon = StringField(default="", filters=[strip], validators=[_coordinate])
    lat = StringField(default="", filters=[strip], validators=[_coordinate])
    policy = policy_field()

    def location_given(self) -> bool:
        """True when an address or a coordinate was typed."""
        return bool(self.address.data or self.lon.data or self.lat.data)

    def location(self) -> dict:
        """The location as ``geodata.checks.check_location`` takes it (once validated)."""
        if self.address.data:
            return {"address": self.address.data}
        return {"lon": parse_coordinate(self.lon.data, "lon"),
                "lat": parse_coordinate(self.lat.data, "lat")}
