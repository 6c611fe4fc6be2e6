"""The form of the quota dashboard: the policy and grouping of the dashboard and its export
(query string)."""

from __future__ import annotations

from wtforms import Field, StringField, ValidationError

from app.forms import QueryForm, policy_field, strip
from geodata.quotas import GROUPINGS

__all__ = ["DashboardForm"]


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
