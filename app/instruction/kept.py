"""What a refused form of the instruction gives back to its page, across the redirection
(Post/Redirect/Get, ``app.forms.keep_for_next_page``): a prefecture's avis (``keep_avis``,
``avis_sent``), a change of state of the dossiers' list (``KeptMove``) and the jury's
decision, closing or reversal (``Selection``), as the session keeps them (JSON: lists, not
sets or tuples) and back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from werkzeug.datastructures import MultiDict

from app.forms import keep_for_next_page, kept_from_last_post
from app.instruction.forms import AvisForm

__all__ = ["JURY_KEPT", "MOVE_KEPT", "KeptMove", "Selection", "avis_sent", "keep_avis"]

AVIS_KEPT = "avis_refuse"
MOVE_KEPT = "changement_garde"
JURY_KEPT = "jury_garde"
"""The session's keys of an avis refused, of a change of state and of a jury's form
refused or to change."""


def keep_avis(number: int, form: AvisForm, refused: str) -> bool:
    """Keep the avis sent on dossier ``number`` for its page, its fields in error and why it
    was refused; False when it is too long to keep."""
    return keep_for_next_page(AVIS_KEPT, {
        "dossier": number, "avis": form.avis.data or "", "texte": form.texte.data or "",
        "errors": {name: list(form[name].errors) for name in form.ORDER if form[name].errors},
        "refused": refused})


def avis_sent(number: int) -> tuple[AvisForm | None, str | None]:
    """The avis refused on dossier ``number`` as it was sent (its fields in error as they
    were) and why, once; (None, None) when none was kept for this dossier."""
    sent = kept_from_last_post(AVIS_KEPT)
    if sent is None or sent["dossier"] != number:
        return None, None
    form = AvisForm(formdata=MultiDict({"avis": sent["avis"], "texte": sent["texte"]}))
    for name, errors in sent["errors"].items():
        form[name].errors = errors
    return form, sent["refused"]


@dataclass(frozen=True)
class KeptMove:
    """A change of state the list page gives back as it was sent: the dossiers ticked, the
    state and the motivation, with why it was not done (``problem``, None when the person
    asked to change the selection), and the list's path to post back."""

    numbers: frozenset[int]
    target: str
    motivation: str
    problem: str | None
    back: str

    def to_session(self) -> dict:
        return {**asdict(self), "numbers": sorted(self.numbers)}

    @classmethod
    def from_session(cls, kept: dict) -> KeptMove:
        return cls(**{**kept, "numbers": frozenset(kept["numbers"])})


@dataclass(frozen=True)
class Selection:
    """What the decision form held (dossiers ticked, decision, motivation), given back to
    the page after a refusal or from the confirmation's « Modifier la sélection »; or the
    members typed in the closing form, after its refusal; or the motivation typed to reverse
    a decision, after its refusal."""

    numbers: frozenset[str] = frozenset()
    decision: str = "laureat"
    motivation: str = ""
    members: str = ""
    confirmed: bool = False  # the closing's box, ticked
    close_error: tuple[str, str] | None = None  # (field of the closing form, message)
    reversal: tuple[int, str, str] | None = None  # (dossier, motivation, why refused)

    def to_session(self, wave: str) -> dict:
        """The selection of ``wave``'s page."""
        return {**asdict(self), "numbers": sorted(self.numbers), "wave": wave}

    @classmethod
    def from_session(cls, kept: dict | None, wave: str | None) -> Selection:
        """The selection kept for ``wave``'s page; an empty one when none was."""
        if kept is None or kept.get("wave") != wave:
            return cls()
        error, reversal = kept["close_error"], kept.get("reversal")
        return cls(frozenset(kept["numbers"]), kept["decision"], kept["motivation"],
                   kept["members"], kept["confirmed"], tuple(error) if error else None,
                   tuple(reversal) if reversal else None)
