"""The query strings of the networks pages (and of their JSON, ``app.reseaux.api``): the kinds
of places a network shows, the network of a Fabrique or a declared one (``/reseaux``), and
the coverage of the territory (``/reseaux/couverture`` and its CSV).

The rules stay the domain's: a threshold is checked by ``geodata.coverage``, a rule and a
Fabrique by ``geodata.networks`` once the form is valid (``app.reseaux.requests``).
"""

from __future__ import annotations

import math
import re

from wtforms import Field, SelectMultipleField, StringField, ValidationError

from app.forms import QueryForm, strip
from geodata.coverage import DEFAULT_THRESHOLD_KM, MEASURES, check_threshold_km
from geodata.french import typed_number

__all__ = ["DEFAULT_DISTANCE_KM", "CoverageForm", "KindsForm", "NetworkForm", "kilometres"]

DEFAULT_DISTANCE_KM = 10.0
"""The distance of the ``distance`` rule when none is given."""


def kilometres(text: str | None, name: str, default: float) -> float:
    """A decimal number (comma or dot), ``default`` when empty; ValueError when not finite."""
    text = (text or "").strip()
    if not text:
        return default
    try:
        value = typed_number(text)
    except ValueError:
        raise ValueError(f"nombre attendu pour {name} : {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"nombre fini attendu pour {name}")
    return value


def known_kind(form: KindsForm, field: Field) -> None:
    """Every kind asked for is the kind of loaded places."""
    unknown = [kind for kind in field.data if kind not in form.known]
    if unknown:
        raise ValidationError(f"type de lieu inconnu : {unknown[0]!r} (types : "
                              f"{', '.join(form.known)})")


NETWORK_NUMBER = re.compile(r"[0-9]{1,9}")
"""A declared network's number: ASCII digits ("²" is a digit to ``str.isdigit``)."""


def network_number(_form: NetworkForm, field: Field) -> None:
    """A declared network is asked for by its number."""
    text = (field.data or "").strip()
    if text and not NETWORK_NUMBER.fullmatch(text):
        raise ValidationError(f"numéro de réseau invalide : {text!r}")


def network_distance(form: NetworkForm, field: Field) -> None:
    """A number of km, under the ``distance`` rule only (the distance is not read otherwise)."""
    if form.rule_asked() == "distance":
        try:
            kilometres(field.data, field.name, DEFAULT_DISTANCE_KM)
        except ValueError as error:
            raise ValidationError(str(error)) from None


def coverage_threshold(_form: CoverageForm, field: Field) -> None:
    """A number of km the coverage accepts (``geodata.coverage.check_threshold_km``)."""
    try:
        check_threshold_km(kilometres(field.data, field.name, DEFAULT_THRESHOLD_KM))
    except ValueError as error:  # CoverageError is one
        raise ValidationError(str(error)) from None


def known_measure(_form: CoverageForm, field: Field) -> None:
    """A way to measure the distance of a commune (``geodata.coverage.MEASURES``)."""
    if field.data not in MEASURES:
        raise ValidationError(f"mesure inconnue : {field.data!r} (contour ou point)")


class KindsForm(QueryForm):
    """The kinds of places to show (``kind``, repeated): all when none is asked for.
    ``known`` lists the kinds of the loaded places."""

    kind = SelectMultipleField(validate_choice=False, validators=[known_kind])

    def __init__(self, known: list[str], **kwargs):
        self.known = known
        super().__init__(**kwargs)

    def kinds(self) -> list[str] | None:
        """The kinds asked for, None for all."""
        return self.kind.data or None


class NetworkForm(KindsForm):
    """``/reseaux``: a search (``q``, ``action=chercher``), a Fabrique and a rule (``epci``,
    ``distance`` with ``distance_km``, ``declared``), or a declared network by number."""

    ORDER = ("network", "distance_km", "kind")
    """The order in which the parameters are checked (the first error is the one told)."""

    fabrique = StringField(default="", filters=[strip])
    q = StringField(default="", filters=[strip])
    action = StringField()
    rule = StringField(default="epci")
    network = StringField(validators=[network_number])
    distance_km = StringField(default=f"{DEFAULT_DISTANCE_KM:g}", validators=[network_distance])

    def network_id(self) -> int | None:
        """The number of the declared network asked for, if any."""
        text = (self.network.data or "").strip()
        return int(text) if NETWORK_NUMBER.fullmatch(text) else None

    def rule_asked(self) -> str:
        """The rule to apply: ``declared`` when a network is asked for by number."""
        return "declared" if self.network_id() is not None else self.rule.data

    def distance_m(self) -> float | None:
        """The distance in metres under the ``distance`` rule, else None."""
        if self.rule_asked() != "distance":
            return None
        return kilometres(self.distance_km.data, "distance_km", DEFAULT_DISTANCE_KM) * 1000


class CoverageForm(QueryForm):
    """``/reseaux/couverture``: a threshold in km, how distances are measured, and a
    département to list its uncovered communes."""

    distance_km = StringField(validators=[coverage_threshold])
    measure = StringField(default="contour", validators=[known_measure])
    departement = StringField(default="", filters=[strip])

    def threshold_km(self) -> float:
        """The threshold asked for, in km (the default one when empty)."""
        return kilometres(self.distance_km.data, "distance_km", DEFAULT_THRESHOLD_KM)

    def typed(self) -> dict[str, str]:
        """The values as typed (empty when absent), to show them again with an error."""
        return {field.name: (field.raw_data or [""])[0] for field in self}
