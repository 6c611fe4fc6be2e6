"""A prefecture's dossiers and its avis, and what the dossier's page says of the instruction,
on both backends: the hand-made wave of ``tests/data/dossiers`` as ``test_dossiers_pages``
imports it (communes of the Bouches-du-Rhône and the Bas-Rhin outlined, the local fake BAN).
"""

from __future__ import annotations

import csv
import html
import io
import re

import pytest

from geodata.storage.dossiers import (
    MoveRefused,
    dossier_events,
    give_avis,
    list_dossiers,
    move_dossiers,
)
from geodata.storage.jury import decide, reverse_decisions
from tests.app.conftest import PASSWORD, csrf_token, followed
from tests.app.test_dossiers_moves import move, states
from tests.app.test_dossiers_pages import (  # noqa: F401 - the two fixtures
    ROWS,
    prefecture,
    two_departements_fixture,
    wave_fixture,
)
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server

pytestmark = pytest.mark.shared_data

def test_a_prefecture_sees_the_dossiers_of_its_departements_only(wave, client, login):
    prefecture(client, login, "13")
    mine = [d.number for d in list_dossiers(wave, "2") if d.departement_code == "13"]
    assert len(mine) == 3
    page = client.get("/instruction/dossiers?vague=2")
    assert [int(n) for n in ROWS.findall(page.text)] == sorted(mine)
    assert 'id="changer-etat"' not in page.text  # no bulk moves
    exported = client.get("/instruction/dossiers.csv?vague=2").text.removeprefix("\ufeff")
    assert [int(r[0]) for r in list(csv.reader(io.StringIO(exported), delimiter=";"))[1:]] \
        == sorted(mine)
    strasbourg = next(d.number for d in list_dossiers(wave) if d.departement_code == "67")
    assert client.get(f"/instruction/dossiers/{strasbourg}").status_code == 404
    assert client.get(f"/instruction/dossiers/{mine[0]}").status_code == 200
    assert client.get("/instruction/historique").status_code == 403


def avis(client, number, code="favorable", text="Projet bien ancré dans le quartier"):
    token = csrf_token(client, f"/instruction/dossiers/{number}")
    return client.post(f"/instruction/dossiers/{number}/avis",
                       data={"csrf_token": token, "avis": code, "texte": text})


def test_a_prefecture_gives_its_avis_when_it_is_asked(wave, client, login):
    number = next(d.number for d in list_dossiers(wave) if d.departement_code == "13")
    email = prefecture(client, login, "13")
    refused = followed(client, avis(client, number))
    assert states(wave)[number] == "depose"
    assert "aucun avis n'est demandé" in html.unescape(refused.text)
    for target in ("en-instruction", "recevable", "avis-demande"):
        move_dossiers(wave, [number], target, "instructrice@exemple.gouv.fr")

    assert "Donner l'avis" in page_of(client, number)
    # the avis is far down on a phone (2,700 px): a link at the top leads to it
    assert re.search(r'id="avis-a-donner"><a [^>]*href="#avis-prefecture"',
                     page_of(client, number))
    blank = followed(client, avis(client, number, text="  "))
    assert "texte de l'avis est obligatoire" in html.unescape(blank.text)
    given = avis(client, number)

    assert given.status_code == 302 and states(wave)[number] == "avis-rendu"
    dossier = next(d for d in list_dossiers(wave) if d.number == number)
    assert (dossier.avis, dossier.avis_by) == ("favorable", email)
    kinds = [(e.kind, e.to_state) for e in dossier_events(wave, number)]
    assert kinds[-2:] == [("avis", None), ("etat", "avis-rendu")]
    avis(client, number, "reserve", "Sous réserve du bail")
    assert next(d for d in list_dossiers(wave) if d.number == number).avis == "reserve"
    assert states(wave)[number] == "avis-rendu"
    page = page_of(client, number)
    assert "Réservé" in page and "Sous réserve du bail" in page


def avis_form(page: str) -> tuple[str | None, str]:
    """The avis ticked and the text in the form of a dossier's page."""
    ticked = re.search(r'name="avis" value="(\w+)" required checked', page)
    text = re.search(r'<textarea[^>]*id="texte"[^>]*>(.*?)</textarea>', page, re.S)
    return (ticked and ticked.group(1)), html.unescape(text.group(1))


def test_an_avis_refused_keeps_what_the_prefecture_wrote(wave, client, login):
    """The form came back empty after a refusal (a redirection to the page): the text typed
    was lost. It comes back as sent, the error beside the field, which gets the focus (the
    page the refusal redirects to: ``test_forms_redirected``)."""
    number = next(d.number for d in list_dossiers(wave) if d.departement_code == "13")
    for target in ("en-instruction", "recevable", "avis-demande"):
        move_dossiers(wave, [number], target, "instructrice@exemple.gouv.fr")
    prefecture(client, login, "13")
    written = "Projet solide <b>mais</b> bail précaire"
    no_choice = followed(client, avis(client, number, code="", text=written))
    assert avis_form(no_choice.text) == (None, written)
    page = html.unescape(no_choice.text)
    assert 'id="avis-erreur">choisissez favorable' in page
    assert "Avis non enregistré\u00a0: choisissez favorable" in page  # « avis : » said once
    assert re.search(r'id="avis-favorable" name="avis" value="favorable" required autofocus',
                     no_choice.text)

    long_text = "Le lieu est déjà ouvert." * 800  # 19 200 characters
    too_long = followed(client, avis(client, number, text=long_text))
    page = re.sub(r"[\u00a0\u202f]", " ", html.unescape(too_long.text))
    assert avis_form(too_long.text) == ("favorable", long_text)
    assert "4 000 caractères au plus, 19 200 reçus" in page
    assert 'maxlength' not in too_long.text  # the browser would cut a pasted text silently
    assert states(wave)[number] == "avis-demande"
    assert [e.kind for e in dossier_events(wave, number)].count("avis") == 0


def test_the_table_says_the_state_and_the_avis_first(wave, client, login):
    """On a phone the state was the last column, scrolled off, and the avis was nowhere."""
    number = next(d.number for d in list_dossiers(wave) if d.departement_code == "13")
    for target in ("en-instruction", "recevable", "avis-demande"):
        move_dossiers(wave, [number], target, "instructrice@exemple.gouv.fr")
    prefecture(client, login, "13")
    avis(client, number, "reserve", "Sous réserve du bail")
    page = html.unescape(client.get("/instruction/dossiers").text)
    head = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
    assert re.findall(r'<th scope="col">([^<]+)</th>', head)[:2] == ["N°", "État"]
    row = re.search(rf'<tr data-numero="{number}">(.*?)</tr>', page, re.S).group(1)
    assert "<td>Avis de la préfecture rendu (avis réservé)</td>" in row


def test_the_dossiers_are_filtered_by_their_avis(wave, client, login):
    """The ministry and the instructors look for the dossiers with an unfavourable avis, or
    still without one; the table, its count and the export keep the same ones."""
    reserved, favoured = [d.number for d in list_dossiers(wave) if d.departement_code == "13"][:2]
    for target in ("en-instruction", "recevable", "avis-demande"):
        move_dossiers(wave, [reserved, favoured], target, "instructrice@exemple.gouv.fr")
    give_avis(wave, reserved, "reserve", "Sous réserve du bail", "pref-13@exemple.gouv.fr")
    give_avis(wave, favoured, "favorable", "Projet ancré", "pref-13@exemple.gouv.fr")
    login(client, "ministry")
    everything = list_dossiers(wave, "2")
    for asked, kept in [("reserve", [reserved]), ("favorable", [favoured]),
                        ("defavorable", []),
                        ("aucun", [d.number for d in everything
                                   if d.number not in (reserved, favoured)])]:
        page = html.unescape(client.get(f"/instruction/dossiers?vague=2&avis={asked}").text)
        assert [int(n) for n in ROWS.findall(page)] == sorted(kept), asked
        assert f"{len(kept)} retenu{'s' if len(kept) > 1 else ''} par les filtres" in page
        exported = client.get(f"/instruction/dossiers.csv?vague=2&avis={asked}").text
        rows = list(csv.reader(io.StringIO(exported.removeprefix("\ufeff")), delimiter=";"))
        assert [int(row[0]) for row in rows[1:]] == sorted(kept), asked
    page = html.unescape(client.get("/instruction/dossiers?vague=2").text)
    assert f"Sans avis ({len(everything) - 2})" in page and "Réservé (1)" in page
    refused = client.get("/instruction/dossiers?vague=2&avis=mitige")
    assert refused.status_code == 400 and "Avis inconnu(e)" in html.unescape(refused.text)


def test_an_avis_sent_twice_is_recorded_once(wave, client, login):
    number = next(d.number for d in list_dossiers(wave) if d.departement_code == "13")
    for target in ("en-instruction", "recevable", "avis-demande"):
        move_dossiers(wave, [number], target, "instructrice@exemple.gouv.fr")
    prefecture(client, login, "13")
    assert avis(client, number).status_code == 302
    again = avis(client, number)
    assert again.status_code == 302
    assert "déjà enregistré avec ce texte" in html.unescape(client.get(
        again.headers["Location"]).text)
    assert [e.kind for e in dossier_events(wave, number)].count("avis") == 1
    avis(client, number, "reserve")  # another avis is a change, recorded
    assert [e.kind for e in dossier_events(wave, number)].count("avis") == 2


def test_an_avis_refused_once_the_step_is_passed_shows_the_text_to_keep(wave, client, login):
    number = next(d.number for d in list_dossiers(wave) if d.departement_code == "13")
    prefecture(client, login, "13")
    token = csrf_token(client, f"/instruction/dossiers/{number}")
    for target in ("en-instruction", "recevable", "transmis-au-jury"):
        move_dossiers(wave, [number], target, "instructrice@exemple.gouv.fr")
    late = followed(client, client.post(f"/instruction/dossiers/{number}/avis", data={
        "csrf_token": token, "avis": "favorable", "texte": "Mon avis"}))
    page = html.unescape(late.text)
    assert ("l'étape de l'avis est passée\u00a0: le dossier est "
            "«\u00a0Transmis au jury\u00a0»") in page
    assert re.search(r'id="avis-texte-envoye">Mon avis<', page)
    assert 'id="texte"' not in page  # no form where no avis can be given


def test_the_state_after_the_avis_is_not_a_move_without_an_avis(wave, client, login):
    """An instructor could move a dossier to « Avis de la préfecture rendu » with no avis:
    its page then said « Avis … rendu — Pas d'avis »."""
    number = next(d.number for d in list_dossiers(wave) if d.departement_code == "13")
    for target in ("en-instruction", "recevable", "avis-demande"):
        move_dossiers(wave, [number], target, "instructrice@exemple.gouv.fr")
    with pytest.raises(MoveRefused, match="suit l'avis de la préfecture"):
        move_dossiers(wave, [number], "avis-rendu", "instructrice@exemple.gouv.fr", "motif")
    login(client)
    asked = html.unescape(move(client, [number], "avis-rendu").text)
    assert "suit l'avis de la préfecture, que ce dossier n'a pas" in asked
    assert states(wave)[number] == "avis-demande"


def test_the_history_says_what_the_jury_decided(wave, client, login):
    """The history said « decision : » and « decision-annulee : », never which decision."""
    number = next(d.number for d in list_dossiers(wave) if d.departement_code == "13")
    for target in ("en-instruction", "recevable", "transmis-au-jury"):
        move_dossiers(wave, [number], target, "instructrice@exemple.gouv.fr")
    decide(wave, [number], "laureat", "Projet retenu", "jury@exemple.gouv.fr")
    reverse_decisions(wave, [number], "Erreur de ligne", "jury@exemple.gouv.fr")
    decide(wave, [number], "refuse-recandidater", "À retravailler", "jury@exemple.gouv.fr")
    login(client)
    history = page_of(client, number).split('id="evenements"')[1]
    assert "décision du jury\u00a0: Lauréat" in history
    assert "décision du jury annulée\u00a0: Lauréat → Transmis au jury" in history
    assert "décision du jury\u00a0: Refusé, invité à recandidater" in history
    assert "decision" not in history


def test_each_account_lands_on_the_latest_wave_it_sees(wave, client, login):
    """A prefecture landed on wave 1, empty for it, with no hint that wave 2 had its
    dossiers; every account now lands on the latest wave where it sees dossiers."""
    dossiers = list_dossiers(wave)
    ours = sorted({d.wave for d in dossiers if d.departement_code == "13"})
    assert ours and ours != sorted({d.wave for d in dossiers})  # 13 is not in every wave
    prefecture(client, login, "13")
    page = html.unescape(client.get("/instruction/dossiers").text)
    waves = re.search(r'<select[^>]*name="vague".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="(\w+)"', waves) == ours  # only its waves
    assert f'<option value="{ours[-1]}" selected>' in waves
    shown = [int(n) for n in ROWS.findall(page)]
    assert shown and all(next(d for d in dossiers if d.number == n).departement_code == "13"
                         for n in shown)
    assert "Vérifier un lot" not in page  # the instructors' page, a 403 for a prefecture


def test_a_prefecture_without_dossiers_is_told_it_is_waiting(wave, client, login):
    prefecture(client, login, "2A")
    page = " ".join(html.unescape(client.get("/instruction/dossiers").text).split())
    assert "Aucun dossier de vos départements (2A) pour l'instant" in page
    assert "fabriques dossiers importer" not in page


def test_only_the_departements_prefecture_gives_an_avis(wave, client, login):
    number = next(d.number for d in list_dossiers(wave) if d.departement_code == "13")
    for target in ("en-instruction", "recevable", "avis-demande"):
        move_dossiers(wave, [number], target, "instructrice@exemple.gouv.fr")
    prefecture(client, login, "67")
    token = csrf_token(client, "/instruction/dossiers")
    answer = client.post(f"/instruction/dossiers/{number}/avis",
                         data={"csrf_token": token, "avis": "favorable", "texte": "x"})
    assert answer.status_code == 404 and states(wave)[number] == "avis-demande"
    other = wave_client(client)
    login(other)  # an instructor
    token = csrf_token(other, f"/instruction/dossiers/{number}")
    answer = other.post(f"/instruction/dossiers/{number}/avis",
                        data={"csrf_token": token, "avis": "favorable", "texte": "x"})
    assert answer.status_code == 403 and states(wave)[number] == "avis-demande"


def page_of(client, number: int) -> str:
    return html.unescape(client.get(f"/instruction/dossiers/{number}").text)


def wave_client(client):
    return client.application.test_client()


def avis_seen(client, number, code, text):
    """The avis sent from the dossier's page as it is now (with the avis it showed)."""
    page = client.get(f"/instruction/dossiers/{number}").text
    seen = re.search(r'name="avis_vu" value="([^"]*)"', page).group(1)
    return client.post(f"/instruction/dossiers/{number}/avis", data={
        "csrf_token": csrf_token(client, f"/instruction/dossiers/{number}"), "avis": code,
        "texte": text, "avis_vu": html.unescape(seen)})


def test_an_avis_asked_again_is_answered_by_confirming_it(wave, client, login):
    """Asked again, the prefecture confirmed the same avis: « déjà enregistré, rien de
    changé », and the dossier waited at « Avis de la préfecture demandé » for ever."""
    number = next(d.number for d in list_dossiers(wave) if d.departement_code == "13")
    for target in ("en-instruction", "recevable", "avis-demande"):
        move_dossiers(wave, [number], target, "instructrice@exemple.gouv.fr")
    prefecture(client, login, "13")
    assert avis_seen(client, number, "defavorable", "Bail précaire").status_code == 302
    move_dossiers(wave, [number], "avis-demande", "instructrice@exemple.gouv.fr",
                  "Le bail est signé : confirmez-vous votre avis ?")
    page = page_of(client, number)
    assert re.search(r'id="avis-redemande">.*Le bail est signé : confirmez-vous votre avis',
                     page, re.S)
    confirmed = avis_seen(client, number, "defavorable", "Bail précaire")
    assert confirmed.status_code == 302 and states(wave)[number] == "avis-rendu"
    assert [e.kind for e in dossier_events(wave, number)].count("avis") == 2
    assert 'id="avis-redemande"' not in page_of(client, number)


def test_an_avis_recorded_since_the_page_opened_is_not_replaced_unseen(wave, client, login):
    """Two agents of one prefecture on one dossier: the second's avis, sent from a page
    opened before the first's, replaced it without a word."""
    number = next(d.number for d in list_dossiers(wave) if d.departement_code == "13")
    for target in ("en-instruction", "recevable", "avis-demande"):
        move_dossiers(wave, [number], target, "instructrice@exemple.gouv.fr")
    prefecture(client, login, "13")
    page = client.get(f"/instruction/dossiers/{number}").text
    opened = re.search(r'name="avis_vu" value="([^"]*)"', page).group(1)
    token = csrf_token(client, f"/instruction/dossiers/{number}")
    give_avis(wave, number, "favorable", "Très bon projet", "agent-a@bouches-du-rhone.gouv.fr")

    late = followed(client, client.post(f"/instruction/dossiers/{number}/avis", data={
        "csrf_token": token, "avis": "defavorable", "texte": "Bail précaire",
        "avis_vu": opened}))
    said = html.unescape(late.text)
    assert "un autre avis a été enregistré depuis l'ouverture de la page" in said
    assert "agent-a@bouches-du-rhone.gouv.fr" in said
    assert avis_form(late.text) == ("defavorable", "Bail précaire")  # kept to send again
    assert next(d for d in list_dossiers(wave) if d.number == number).avis == "favorable"
    again = avis_seen(client, number, "defavorable", "Bail précaire")  # read, then sent
    assert again.status_code == 302
    assert next(d for d in list_dossiers(wave) if d.number == number).avis == "defavorable"


def test_an_expired_form_gives_back_what_was_written(wave, client, login):
    """A session ended (eight hours, a logout in another tab) lost a 4,000-character avis."""
    number = next(d.number for d in list_dossiers(wave) if d.departement_code == "13")
    prefecture(client, login, "13")
    written = "Avis long,\nsur deux lignes <i>et</i> plus"
    answer = client.post(f"/instruction/dossiers/{number}/avis",
                         data={"csrf_token": "perime", "avis": "favorable", "texte": written})
    assert answer.status_code == 400 and "Formulaire expiré" in answer.text
    assert 'id="texte-garde"' in answer.text
    assert html.escape(written, quote=False) in answer.text


def test_an_avis_sent_after_a_logout_leads_to_the_login_and_back(wave, client, login):
    """A logout in another tab, then the avis sent: the page kept the text but not the
    choice, said « Rechargez la page » (which sent the same form again) and led home only."""
    number = next(d.number for d in list_dossiers(wave) if d.departement_code == "13")
    email = prefecture(client, login, "13")
    page = f"/instruction/dossiers/{number}"
    token = csrf_token(client, page)
    client.post("/deconnexion", data={"csrf_token": token})  # the other tab
    sent = {"csrf_token": token, "avis": "reserve", "texte": "Bail à préciser"}
    answer = client.post(f"{page}/avis", data=sent, headers={"Referer": f"http://localhost{page}"})
    said = " ".join(html.unescape(answer.text).split())
    assert answer.status_code == 400 and "Session terminée" in said
    assert "Rechargez" not in said and "reconnectez-vous" in said
    assert "<strong>Avis choisi</strong></p> <blockquote class=\"fabriques-texte-ecrit\">Réservé" \
        in said and "Bail à préciser" in said
    relogin = re.search(r'id="etape-suivante" href="([^"]+)">Se reconnecter', answer.text)
    assert html.unescape(relogin.group(1)) == f"/connexion?next={page}"
    logged = client.post(html.unescape(relogin.group(1)), data={
        "email": email, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert logged.status_code == 302 and logged.location == page  # back to the form's page
    elsewhere = client.post(f"{page}/avis", data=sent,  # logged in again, an old token
                            headers={"Referer": "https://ailleurs.example/piege"})
    said = " ".join(html.unescape(elsewhere.text).split())
    assert "Formulaire expiré" in said and "Rechargez" not in said
    assert "Rouvrez la page du formulaire" in said
    back = re.search(r'id="etape-suivante" href="([^"]+)"', elsewhere.text).group(1)
    assert back == f"{page}/avis"  # the form's own address (its page), never the other site


def test_each_row_is_headed_by_its_dossier_number(wave, client, login):
    """A screen reader reading a cell (« Recevable ») says whose it is: the row's header."""
    login(client)
    page = client.get("/instruction/dossiers?vague=2").text
    headed = re.findall(r'<th scope="row"><a href="/instruction/dossiers/(\d+)">\1</a>', page)
    assert ROWS.findall(page) and headed == ROWS.findall(page)


def test_an_avis_is_refused_once_the_dossier_left_the_prefecture_s_departements(wave):
    """The page checks the département, then the avis is written: an import moving the
    dossier in between let the former prefecture's avis through. The département is
    checked again with the dossier locked."""
    number = next(d.number for d in list_dossiers(wave) if d.departement_code == "13")
    for target in ("en-instruction", "recevable", "avis-demande"):
        move_dossiers(wave, [number], target, "instructrice@exemple.gouv.fr")
    with pytest.raises(MoveRefused) as refused:
        give_avis(wave, number, "favorable", "Projet solide", "pref67@exemple.gouv.fr",
                  departements=["67"])
    assert "désormais dans le département 13, hors des vôtres" in refused.value.reasons[number]
    assert states(wave)[number] == "avis-demande"
    assert give_avis(wave, number, "favorable", "Projet solide", "pref13@exemple.gouv.fr",
                     departements=["13", "84"])
    assert states(wave)[number] == "avis-rendu"
