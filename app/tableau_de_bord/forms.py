"""The form of the quota dashboard: the policy and grouping of the dashboard and its export
(query string)."""

from __future__ import annotations

from wtforms import Field, StringField, ValidationError

from app.forms import QueryForm, policy_field, strip
from geodata.quotas import GROUPINGS

__all__ = ["DashboardForm"]


FRENCH_GROUPINGS = {"vague": "wave", "region": "region", "région": "region",
                    "departement": "departement", "département": "departement"}
"""The groupings by their French names (the form's labels say « Par vague »…), accepted as
well as the table's own (``geodata.quotas.GROUPINGS``)."""


def grouping(value):
    """The table's grouping for a French name (any case); anything else as it came."""
    return FRENCH_GROUPINGS.get(value.casefold(), value) if isinstance(value, str) else value


def known_grouping(_form: DashboardForm, field: Field) -> None:
    """A grouping of the quota table (``geodata.quotas.GROUPINGS``), or none."""
    if field.data and field.data not in GROUPINGS:
        shown = field.data if len(field.data) <= 40 else f"{field.data[:40]}…"
        raise ValidationError(f"regroupement inconnu : « {shown} » (possibles : vague, "
                              "région, département)")


class DashboardForm(QueryForm):
    """``/tableau-de-bord`` and its export: a policy (the default one when empty) and a
    grouping (``by``: none, ``wave``, ``region`` or ``departement``, or their French names:
    ``vague``, ``région``, ``département``)."""

    policy = policy_field()
    by = StringField(filters=[strip, grouping], validators=[known_grouping])
