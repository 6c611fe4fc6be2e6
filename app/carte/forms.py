"""The query string of the map page, ``/carte``: a policy, a QPV vintage for the overlay, the
filters of the selection (``geodata.fabriques``), the overlays shown and the view.

Unlike most forms, a map with a bad parameter is still served: every field in error reports
its message and falls back to its default (``CarteForm.state``, ``CarteForm.selection``).
"""

from __future__ import annotations

from collections.abc import Mapping

from wtforms import Field, StringField, ValidationError

from app.carte.layers import DEFAULT_OVERLAYS, SELECTION_PARAMETERS, TOGGLEABLE
from app.forms import QueryForm, known_policy
from geodata.fabriques import Selection, SelectionError, parse_selection
from geodata.french import typed_number
from geodata.policy import DEFAULT_POLICY, load_policy, qpv_vintages
from maps.fabriques import View

__all__ = ["PAGE_SIZE", "CarteForm", "map_view"]

VIEW_ERROR = "vue invalide : z (2 à 18), lat et lon vont ensemble"
PAGE_SIZE = 50
"""Fabriques a page of the list under the map shows."""


def map_view(z: str | None, lat: str | None, lon: str | None) -> View | None:
    """The view asked for, None when none is; ValueError when it is not a view."""
    if not any((z, lat, lon)):
        return None
    try:
        if not (z.strip().isascii() and z.strip().isdigit()):  # « ９ » is not a zoom
            raise ValueError(VIEW_ERROR)
        view = View(lat=typed_number(lat.strip()), lon=typed_number(lon.strip()), zoom=int(z))
    except (AttributeError, TypeError, ValueError):  # one missing, or not a number
        raise ValueError(VIEW_ERROR) from None
    if not (-90 <= view.lat <= 90 and -180 <= view.lon <= 180 and 2 <= view.zoom <= 18):
        raise ValueError(VIEW_ERROR)
    return view


def valid_view(form: CarteForm, _field: Field) -> None:
    """``z``, ``lat`` and ``lon`` together make a view on the map, or none is given."""
    try:
        map_view(form.z.data, form.lat.data, form.lon.data)
    except ValueError:
        raise ValidationError(VIEW_ERROR) from None


def known_vintage(_form: CarteForm, field: Field) -> None:
    """A QPV vintage one of the shipped policies uses (empty: the policy's own)."""
    if field.data and field.data not in qpv_vintages():
        raise ValidationError(f"millésime QPV inconnu : {field.data!r}")


def page_number(_form: CarteForm, field: Field) -> None:
    """A page of the list: an integer from 1 (past the last page: the last one)."""
    if field.data and not (field.data.isdigit() and int(field.data) >= 1):
        raise ValidationError(f"page invalide : {field.data!r} ; un entier à partir de 1")


def selection_rule(name: str):
    """The rule of ``geodata.fabriques.parse_selection`` for the filter ``name``."""

    def check(form: CarteForm, field: Field) -> None:
        try:
            parse_selection({name: field.data}, form.known)
        except SelectionError as error:
            raise ValidationError(str(error)) from None

    return check


class LayersField(Field):
    """Overlay keys separated by commas; absent: the default overlays, empty: none.

    Each unknown key is an error of its own; ``known()`` keeps the others.
    """

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = [key for key in valuelist[0].split(",") if key]

    def pre_validate(self, form):
        # several messages, not one: ``validate()`` has just made ``errors`` a fresh list
        self.errors.extend(f"couche inconnue : {key!r}" for key in self.data
                           if key not in TOGGLEABLE)

    def known(self) -> list[str]:
        """The keys of overlays a visitor can switch on, in the order given."""
        return [key for key in self.data if key in TOGGLEABLE]


class CarteForm(QueryForm):
    """The map's query string (French names, as in the page's URL); ``known`` holds the
    région and département codes that exist (``geodata.storage.reference.place_names``)."""

    # Not ``policy_field()``, which strips spaces: on the map a padded policy name has always
    # been an error, and moving to WTForms changes nothing a visitor sees.
    politique = StringField(filters=[lambda value: value or DEFAULT_POLICY],
                            validators=[known_policy])
    qpv = StringField(validators=[known_vintage])
    vague = StringField(validators=[selection_rule("wave")])
    categorie = StringField(validators=[selection_rule("category")])
    region = StringField(validators=[selection_rule("region")])
    departement = StringField(validators=[selection_rule("departement")])
    fnt = StringField(validators=[selection_rule("fnt")])
    couches = LayersField(default=lambda: list(DEFAULT_OVERLAYS))
    z = StringField(validators=[valid_view])
    page = StringField(validators=[page_number])
    recherche = StringField(filters=[lambda value: " ".join((value or "").split())])
    lat = StringField()
    lon = StringField()

    def __init__(self, known: Mapping[str, set], **kwargs):
        self.known = known
        super().__init__(**kwargs)

    def _valid(self, name: str):
        """The field's value, or None when it is in error."""
        return None if self.errors.get(name) else self[name].data

    def messages(self) -> list[str]:
        """Every error, in the order of the fields (a field may have several)."""
        return [message for messages in self.errors.values() for message in messages]

    def state(self) -> dict:
        """The policy, QPV vintage, overlays and view to show, defaults in place of errors."""
        policy = load_policy(self._valid("politique") or DEFAULT_POLICY)
        view = None if self.errors.get("z") else map_view(self.z.data, self.lat.data,
                                                          self.lon.data)
        return {"policy": policy, "vintage": self._valid("qpv") or policy.qpv_vintage,
                "layers": self.couches.known(), "view": view,
                "page": int(self._valid("page") or 1), "search": self.recherche.data or ""}

    def selection(self) -> Selection:
        """The filters of the selection, those in error left out."""
        return parse_selection({name: self._valid(page_name)
                                for name, page_name in SELECTION_PARAMETERS.items()},
                               self.known)
