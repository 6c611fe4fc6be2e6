"""The forms of the quota dashboard: the policy and grouping of the dashboard and its export
(query string), and the simulation's policy and wave, read from the query string, then posted
with the candidates selected (CSRF token checked)."""

from __future__ import annotations

from wtforms import Field, SelectMultipleField, StringField, ValidationError

from app.forms import Form, QueryForm, policy_field, strip
from geodata.quotas import GROUPINGS

__all__ = ["DashboardForm", "SimulationForm", "SimulationQuery"]


def known_grouping(_form: DashboardForm, field: Field) -> None:
    """A grouping of the quota table (``geodata.quotas.GROUPINGS``), or none."""
    if field.data and field.data not in GROUPINGS:
        raise ValidationError(f"regroupement inconnu : {field.data!r} (possibles : vague "
                              "« wave », région « region », département « departement »)")


class DashboardForm(QueryForm):
    """``/tableau-de-bord`` and its export: a policy (the default one when empty) and a
    grouping (``by``: none, ``wave``, ``region`` or ``departement``)."""

    policy = policy_field()
    by = StringField(filters=[strip], validators=[known_grouping])


class WaveFields:
    """The simulation's fields read by GET and sent by POST: the policy, and the wave whose
    candidates are shown (empty: the latest wave)."""

    policy = policy_field()
    wave = StringField(filters=[strip])


class SimulationQuery(WaveFields, QueryForm):
    """``GET /tableau-de-bord/simulation``: every candidate of the wave is selected."""


class SimulationForm(WaveFields, Form):
    """``POST /tableau-de-bord/simulation``: the candidates selected (``candidat``, check
    ids, repeated); ids that are not the wave's candidates are ignored."""

    candidat = SelectMultipleField(validate_choice=False)
