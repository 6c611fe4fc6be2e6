"""The instructors' forms: a check kept with its dossier."""

from __future__ import annotations

from wtforms import StringField, ValidationError
from wtforms.validators import AnyOf

from app.forms import Form, LocationFields

__all__ = ["DossierForm"]

FNT_CHOICES = {"oui": True, "non": False, "inconnu": None, "": None}
SPACES = (" ", "\u00a0", "\u202f", "€")


def _lower(value: str | None) -> str:
    return (value or "").strip().lower()


def _without_spaces(value: str | None) -> str:
    """75 000 €, 75 000: the digits alone."""
    value = value or ""
    for space in SPACES:
        value = value.replace(space, "")
    return value


def _whole_euros(_form, field) -> None:
    """ASCII digits only, at most 12 of them (the history refuses 2^31 € and more)."""
    if field.data and not (field.data.isascii() and field.data.isdecimal()
                           and len(field.data) <= 12):
        raise ValidationError("montant demandé : un nombre entier d'euros, par exemple 75000")


class DossierForm(Form, LocationFields):
    """``POST /instruction/historique``: the location checked again, and its dossier."""

    dossier_ref = StringField(default="")
    project_name = StringField(default="")
    wave = StringField(default="")
    fnt = StringField(default="", filters=[_lower],
                      validators=[AnyOf(list(FNT_CHOICES), message="FNT : oui, non ou inconnu")])
    funding_eur = StringField(default="", filters=[_without_spaces], validators=[_whole_euros])

    ERROR_ORDER = ("fnt", "funding_eur", "address", "lon", "lat", "policy")
    """The dossier's fields are reported before the location's."""

    def dossier(self) -> dict:
        """The dossier fields, typed (texts are trimmed when kept)."""
        return {"dossier_ref": self.dossier_ref.data, "project_name": self.project_name.data,
                "wave": self.wave.data, "fnt": FNT_CHOICES[self.fnt.data],
                "funding_eur": int(self.funding_eur.data) if self.funding_eur.data else None}

    def location_typed(self) -> dict:
        """The location's fields as typed (the empty ones left out), to fill the checker's
        form again."""
        typed = {name: (getattr(self, name).raw_data or [""])[0].strip()
                 for name in ("address", "lon", "lat", "policy")}
        return {name: value for name, value in typed.items() if value}
