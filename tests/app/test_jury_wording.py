"""What the jury's pages say, to whom: a read-only account (the ministry) is not asked to do
what only an instructor may; the letters' and the quota table's words.

The wave is the hand-made one of ``tests/data/dossiers``, imported as ``test_jury_pages``
does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.app.test_jury_pages import JURY, bouches_du_rhone, close, post, text  # noqa: F401
from tests.app.test_jury_pages import wave as jury_wave  # noqa: F401
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server

pytestmark = pytest.mark.shared_data


def test_a_read_only_account_is_told_what_an_instructor_may_do(jury_wave, app, client,  # noqa: F811
                                                               login):
    ministry = app.test_client()
    login(ministry, "ministry")
    said = text(ministry.get(JURY))
    assert "Pas de session ouverte : un instructeur l'ouvre par une première décision." in said
    assert "la première décision en ouvre une" not in said
    login(client)
    post(client, "/instruction/jury/decisions", numero=["1234505"], vers="laureat",
         motivation="Motif du jury", vague="2", confirme="oui")
    close(client, membres="Mme A", confirme="oui")
    said = text(ministry.get(JURY))
    assert "LA FABULERIE (ds-1234505) : même Fabrique que" in said
    assert "Un instructeur peut signaler qu'il ne s'agit pas de la même Fabrique." in said
    assert "dites-le" not in said and "Ce n'est pas la même Fabrique" not in said
    said = text(client.get(JURY))  # the instructor is asked, and given the button
    assert "Si ce n'est pas la même, dites-le." in said
    assert "Ce n'est pas la même Fabrique" in said
    assert "Pas de session ouverte : la première décision en ouvre une." in said


def test_the_letters_note_agrees_with_what_was_not_settled(jury_wave, client, login):  # noqa: F811
    """« catégorie territoriale non déterminé » : the note agrees with its noun."""
    login(client)
    post(client, "/instruction/jury/decisions", numero=["1234505"], vers="laureat",
         motivation="Projet solide", vague="2", confirme="oui")
    said = text(client.get("/instruction/jury/courriers?vague=2"))
    # placed in Marseille, its category undecided: no density grid is loaded here
    assert "À vérifier avant l'envoi : catégorie territoriale non déterminée par le " \
           "service (le courrier n'en dit rien)." in said


def wave_row(page: str) -> list[str]:
    row = re.search(r'<tr data-ligne="vague">(.*?)</tr>', page, re.S).group(1)
    return [" ".join(re.sub(r"<[^>]+>", "", cell).split())
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]


def test_a_wave_without_a_quota_is_not_said_to_have_an_unpublished_one(jury_wave, app,  # noqa: F811
                                                                       client, login):
    """« non publié » in the « Cible » column read as a target kept secret: the programme's
    targets are national, and the calendar gives no wave a quota (as the dashboard says)."""
    login(client)
    page = client.get(JURY).text
    assert wave_row(page)[:2] == ["Lauréats de la vague 2", "—"]
    assert "Pas de cible par vague : les cibles du programme sont nationales, et le " \
           "calendrier des vagues ne donne pas de quota de lauréats à la vague 2." \
           in text(client.get(JURY))
    calendar = Path(app.instance_path) / "vagues.toml"  # an instance's calendar gives one
    calendar.write_text('[[vague]]\nnumero = "2"\ntype = "toutes"\ndepot_limite = 2019-12-31\n'
                        'quota = 12\npolitique = "ami-2019"\n', encoding="utf-8")
    page = client.get(JURY).text
    assert wave_row(page)[:2] == ["Lauréats de la vague 2", "12"]
    assert 'id="quotas-jury-vague"' not in page


def test_each_decision_row_names_its_dossier_to_a_screen_reader(jury_wave, client,  # noqa: F811
                                                                 login):
    """Every row's button was read « Annuler » (a cancel button, of what?) and its link
    « Courrier »: each names its dossier."""
    login(client)
    post(client, "/instruction/jury/decisions", numero=["1234505", "1234509"],
         vers="laureat", motivation="Motif du jury", vague="2", confirme="oui")
    page = client.get(JURY).text
    names = [re.sub(r"<[^>]+>", "", found) for found in re.findall(
        r'<button class="fr-btn fr-btn--sm fr-btn--tertiary" type="submit">(.*?)</button>',
        page)]
    assert names == [f"Annuler la décision du dossier {n}" for n in (1234505, 1234509)]
    letters = [re.sub(r"<[^>]+>", "", found) for found in re.findall(
        r'<a href="/instruction/dossiers/\d+/courrier">(.*?)</a>', page)]
    assert letters == [f"Courrier du dossier {n}" for n in (1234505, 1234509)]


def test_a_reversal_says_which_dossier_is_back_before_the_jury(jury_wave, client,  # noqa: F811
                                                                login):
    login(client)
    post(client, "/instruction/jury/decisions", numero=["1234505"], vers="laureat",
         motivation="Motif du jury", vague="2", confirme="oui")
    done = post(client, "/instruction/jury/annulation", numero=["1234505"], vague="2",
                motivation="Avis à attendre")
    assert ("Décision annulée : le dossier 1234505 est de nouveau « transmis au jury »."
            in text(client.get(done.location)))  # was « Décision annulée : 1234505 de … »


def test_the_wave_selector_is_named_once(jury_wave, client, login):  # noqa: F811
    """A visually hidden legend « Vague » around the one select labelled « Vague »: a screen
    reader said « Vague, groupe » then « Vague, liste déroulante ». One name, its label's."""
    login(client)
    page = client.get(JURY).text
    chooser = re.search(r'<form method="get" action="/instruction/jury"[^>]*>(.*?)</form>',
                        page, re.S).group(1)
    assert "<legend" not in chooser and "<fieldset" not in chooser
    labels = re.findall(r'<label class="fr-label" for="vague">(.*?)</label>', chooser, re.S)
    assert [label.strip() for label in labels] == ["Vague"]
    assert '<select class="fr-select" id="vague" name="vague">' in chooser


def test_the_closing_says_who_publishes_the_open_data_again(jury_wave, client,  # noqa: F811
                                                            login):
    """The closing sent its web reader to a command (« se publie de nouveau par « fabriques
    laureats publier » »): it says who does it, and only when the session named laureates."""
    login(client)
    post(client, "/instruction/jury/decisions", numero=["1234509"],
         vers="refuse-recandidater", motivation="Budget à préciser", vague="2", confirme="oui")
    said = text(client.get(close(client, membres="Mme A", confirme="oui").location))
    assert "Session de la vague 2 close : 0 lauréat décidé" in said
    assert "laureats publier" not in said and "exploitant" not in said  # nothing to republish
    post(client, "/instruction/jury/decisions", numero=["1234505", "1234515"],
         vers="laureat", motivation="Motif du jury", vague="2", confirme="oui")
    said = text(client.get(close(client, membres="Mme A", confirme="oui").location))
    assert ("déjà sur la carte et dans les quotas. Les fichiers des données ouvertes des "
            "Fabriques (CSV et GeoJSON à télécharger) ne comptent ces lauréats qu'une fois "
            "republiés par l'exploitant du service : prévenez-le.") in said
    assert "laureats publier" not in said
