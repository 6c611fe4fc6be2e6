"""``fabriques dossiers decider | cloturer``: a wave's jury from the command line, as on its
page (``geodata.storage.jury``): decisions on dossiers "transmis au jury", all or none, with
a motivation; then the session closed, which locks them and writes the laureates."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.cli.common import fail
from app.db import get_engine, wave_cap, wave_policy
from geodata.dossiers.actors import command_line_actor
from geodata.french import agreed, in_paris
from geodata.storage.dossiers import MoveRefused, find_dossiers
from geodata.storage.jury import JuryError, close_session, decide
from geodata.storage.jury_quotas import decision_warnings

__all__ = ["COMMANDS", "DECISIONS"]

DECISIONS = {"laureat": "laureat", "refus-recandidater": "refuse-recandidater",
             "refus-accompagnement": "refuse-accompagnement"}
"""The command line's names of the jury's decisions, and their states."""
WORDS = {"laureat": "lauréat(s)", "refuse-recandidater": "refusé(s), invité(s) à recandidater",
         "refuse-accompagnement": "refusé(s), invité(s) à se faire accompagner"}
"""Each decision's words after a count, made to agree with it (``agreed``)."""


@click.command("decider", help="Décision du jury sur des dossiers « transmis au jury » d'une "
                               "même vague (tous ou aucun) ; ouvre la session de la vague "
                               "s'il n'y en a pas.")
@click.argument("numbers", nargs=-1, required=True, type=int, metavar="NUMERO...")
@click.option("--decision", required=True, type=click.Choice(list(DECISIONS)),
              help="La décision.")
@click.option("--motivation", required=True, help="Motivation de la décision (obligatoire).")
@with_appcontext
def decide_command(numbers: tuple[int, ...], decision: str, motivation: str) -> None:
    state = DECISIONS[decision]
    found = find_dossiers(get_engine(), list(numbers))
    chosen = [found[n] for n in dict.fromkeys(numbers) if n in found]
    wave = next((d.wave for d in chosen if d.wave), None)
    warnings = _warnings(chosen, wave) if state == "laureat" else []
    try:
        jury = decide(get_engine(), numbers, state, motivation, command_line_actor(),
                      policy=wave_policy(current_app, wave))
    except MoveRefused as refused:
        lines = [f"  dossier {number} : {why}" for number, why in refused.reasons.items()]
        fail("Erreur — aucune décision enregistrée :\n" + "\n".join(lines))
    count = len(set(numbers))
    click.echo(f"{count} {agreed(f'dossier(s) {WORDS[state]}', count)} (vague {jury.wave}, session "
               f"n° {jury.id}, ouverte le {in_paris(jury.opened_at):%d/%m/%Y}).")
    if warnings:  # as the confirmation page warns: never blocked, the jury decides
        click.echo("Attention (décision annulable sur la page du jury jusqu'à la clôture) :\n"
                   + "\n".join(f"  {said}" for said in warnings), err=True)


def _warnings(chosen: list, wave: str | None) -> list[str]:
    """What naming the ``chosen`` dossiers laureates warns about, computed before the
    decision (the rules they fail, the quotas they go past under the wave's rules), as the
    page's confirmation shows it."""
    if wave is None:
        return []
    return decision_warnings(get_engine(), chosen, wave, wave_cap(current_app, wave),
                             wave_policy(current_app, wave))


@click.command("cloturer", help="Clôt la session du jury d'une vague : ses décisions sont "
                                "verrouillées et ses lauréats rejoignent la table des "
                                "Fabriques.")
@click.option("--vague", required=True, help="La vague dont la session est close.")
@click.option("--membres", required=True, help="Les membres présents (texte libre).")
@with_appcontext
def close_command(vague: str, membres: str) -> None:
    try:
        closed = close_session(get_engine(), vague, membres, command_line_actor())
    except JuryError as error:
        fail(f"Erreur — {error}.")
    said = ", ".join(f"{count} {agreed(WORDS[state], count)}" for state, count in
                     sorted(closed.decisions.items())) or "aucune décision"
    click.echo(f"Session n° {closed.session.id} de la vague {vague} close : {said}.")
    written = closed.laureates
    click.echo(f"La table des Fabriques compte {written.written} "
               f"{agreed('lauréat(s)', written.written)} des jurys (toutes "
               "sessions closes).")
    if written.without_commune:
        click.echo("  " + agreed("sans commune, non écrit(s) (à localiser) : ",
                                 len(written.without_commune))
                   + ", ".join(map(str, written.without_commune)))
    if written.to_confirm:
        count = len(written.to_confirm)
        click.echo(f"  {count} {agreed('correspondance(s)', count)} avec la liste publiée à "
                   "confirmer sur la page du jury : " + ", ".join(written.to_confirm))


COMMANDS = (decide_command, close_command)
