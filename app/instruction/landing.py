"""The addresses of the instruction's forms opened with a GET: each leads to its page.

A form's address can be in the address bar, in the history (« Précédent ») and in a login's
« next »: a confirmation page answers there, as do an expired form and a refused form whose
text is too long to keep in the session across a redirection (the others are redirected to
their page, ``app.instruction.kept``). Opened again, it gave a 405 « Méthode non permise »;
each of them answers a GET with a redirection (303) to the page its form is on, at the
form, with that page's access rules (a dossier of another département stays
« introuvable »). The wave's forms name their wave in their address (``?vague=``): the
jury's page and the dossiers' list are a wave's, and the redirection leads to that wave's,
not to the default one.
"""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for

from app.access import role_required
from app.instruction.dossiers import visible_dossier
from app.instruction.jury import VIEWERS
from app.security import no_store

__all__ = ["bp"]

bp = Blueprint("landing", __name__)
no_store(bp)

DOSSIER_VIEWERS = ("instructor", "ministry", "prefecture")


def _to(endpoint: str, **values):
    return redirect(url_for(endpoint, **values), code=303)


def _wave() -> str | None:
    """The wave the form's address names (``?vague=``), None when it names none."""
    return request.args.get("vague", "").strip() or None


@bp.get("/instruction/dossiers/<int:number>/avis")
@role_required(*DOSSIER_VIEWERS)
def avis(number: int):
    """The dossier's page, at its prefecture's avis."""
    visible_dossier(number)
    return _to("dossiers.dossier", number=number, _anchor="avis-prefecture")


@bp.get("/instruction/dossiers/<int:number>/reverifier")
@role_required(*DOSSIER_VIEWERS)
def reverify(number: int):
    """The dossier's page (its checks)."""
    visible_dossier(number)
    return _to("dossiers.dossier", number=number, _anchor="verifications")


@bp.get("/instruction/dossiers/etat")
@role_required(*DOSSIER_VIEWERS)
def move():
    """The wave's dossiers' list (a move is made from its table)."""
    return _to("dossiers.index", vague=_wave())


@bp.get("/instruction/jury/decisions")
@role_required(*VIEWERS)
def decisions():
    """The wave's jury page, at its decision form."""
    return _to("jury.index", vague=_wave(), _anchor="jury-selection")


@bp.get("/instruction/jury/cloture")
@role_required(*VIEWERS)
def close():
    """The wave's jury page, at its closing form."""
    return _to("jury.index", vague=_wave(), _anchor="cloture")


@bp.get("/instruction/jury/annulation")
@bp.get("/instruction/jury/correspondance")
@role_required(*VIEWERS)
def jury():
    """The wave's jury page (decisions reversed and laureates matched from its tables)."""
    return _to("jury.index", vague=_wave())
