"""The instructors' space: the history of the checks they kept with a dossier (list,
export), a wave's dossiers (``dossiers``), one of them checked again (``recheck``) and its
jury (``jury``); a form's address opened with a GET leads to its page (``landing``)."""

from __future__ import annotations

from flask import Flask

from app.instruction import dossiers, jury, landing, recheck, views
from geodata.dossiers.actors import actor_said
from geodata.dossiers.selection import shown_category
from geodata.dossiers.territory import category_to_settle

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """Register the room's blueprints."""
    app.register_blueprint(views.bp)
    app.register_blueprint(dossiers.bp)
    app.register_blueprint(jury.bp)
    app.register_blueprint(recheck.bp)
    app.register_blueprint(landing.bp)  # the forms' addresses opened with a GET
    # a dossier « à vérifier » eligible either way, only its category open, as pages say it
    app.add_template_global(shown_category)
    app.add_template_global(category_to_settle)
    app.add_template_filter(actor_said, "acteur")  # the command line as the operator
