"""The addresses of the instruction's forms opened with a GET: each leads to its page.

A form refused (an avis without text, a move or a decision to confirm or to correct, an
expired form) answers at the address it was posted to, so that nothing typed is lost; that
address is then in the address bar, in the history (« Précédent ») and in a login's « next »:
opened again, it gave a 405 « Méthode non permise ». Each of them answers a GET with a
redirection (303) to the page its form is on, at the form, with that page's access rules (a
dossier of another département stays « introuvable »).
"""

from __future__ import annotations

from flask import Blueprint, redirect, url_for

from app.access import role_required
from app.instruction.dossiers import _visible
from app.instruction.jury import VIEWERS
from app.security import no_store

__all__ = ["bp"]

bp = Blueprint("landing", __name__)
no_store(bp)

DOSSIER_VIEWERS = ("instructor", "ministry", "prefecture")


def _to(endpoint: str, **values):
    return redirect(url_for(endpoint, **values), code=303)


@bp.get("/instruction/dossiers/<int:number>/avis")
@role_required(*DOSSIER_VIEWERS)
def avis(number: int):
    """The dossier's page, at its prefecture's avis."""
    _visible(number)
    return _to("dossiers.dossier", number=number, _anchor="avis-prefecture")


@bp.get("/instruction/dossiers/<int:number>/reverifier")
@role_required(*DOSSIER_VIEWERS)
def reverify(number: int):
    """The dossier's page (its checks)."""
    _visible(number)
    return _to("dossiers.dossier", number=number, _anchor="verifications")


@bp.get("/instruction/dossiers/etat")
@role_required(*DOSSIER_VIEWERS)
def move():
    """The dossiers' list (a move is made from its table)."""
    return _to("dossiers.index")


@bp.get("/instruction/jury/decisions")
@role_required(*VIEWERS)
def decisions():
    """The jury's page, at its decision form."""
    return _to("jury.index", _anchor="jury-selection")


@bp.get("/instruction/jury/cloture")
@role_required(*VIEWERS)
def close():
    """The jury's page, at its closing form."""
    return _to("jury.index", _anchor="cloture")


@bp.get("/instruction/jury/annulation")
@bp.get("/instruction/jury/correspondance")
@role_required(*VIEWERS)
def jury():
    """The jury's page (decisions reversed and laureates matched from its tables)."""
    return _to("jury.index")
