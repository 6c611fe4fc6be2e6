"""The jury's pages on both backends: the session page (quotas first, dossiers transmis au
jury, decisions, closing), the confirmation that shows the quotas a decision makes, the
reversal, the letters, and who may do what.

The wave is the hand-made one of ``tests/data/dossiers`` (real organisations), imported with
the outlines of the communes of the Bouches-du-Rhône (real data) and the local fake BAN; the
published laureates list is loaded too.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from sqlalchemy import update

from app.db import EXTENSION
from geodata.geocoder import BanClient
from geodata.policy import load_policy
from geodata.storage.dossier_models import Dossier
from geodata.storage.dossiers import dossier_events, list_dossiers, move_dossiers
from geodata.storage.fabriques import laureate_records
from geodata.storage.jury import jury_sessions
from geodata.storage.jury_quotas import programme_records
from geodata.storage.laureates import laureate_table
from geodata.storage.reference import place_names
from loaders.dossiers import import_dossiers
from loaders.pipeline import load_source
from tests.app.conftest import csrf_token, followed
from tests.app.test_dossiers_pages import prefecture
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server
from tests.loaders.test_dossiers_import import WAVE
from tests.support import contours_of

pytestmark = pytest.mark.shared_data

JURY = "/instruction/jury?vague=2"
MARSEILLE = [1234505, 1234509, 1234515]


@pytest.fixture(scope="module")
def bouches_du_rhone(tmp_path_factory, data_dir):
    return contours_of(data_dir, ["13"], tmp_path_factory.mktemp("c") / "contours_13.geojson")


@pytest.fixture
def wave(app, data_dir, ban_server, bouches_du_rhone):
    engine = app.extensions[EXTENSION]
    load_source(engine, "commune-contours", str(bouches_du_rhone), progress=False)
    load_source(engine, "laureates", None, data_dir=data_dir, progress=False)
    with BanClient(ban_server.url, max_retries=0) as ban:
        import_dossiers(engine, ban, WAVE, data_dir=data_dir, actor="test")
    for target in ("en-instruction", "recevable", "transmis-au-jury"):
        move_dossiers(engine, MARSEILLE, target, "instructrice")
    return engine


def close(client, **fields):
    """The closing form sent as the jury page shows it, with its decisions' stamp."""
    seen = re.search(r'name="decisions_vues" value="(\w+)"', client.get(JURY).text).group(1)
    return post(client, "/instruction/jury/cloture", vague="2", decisions_vues=seen, **fields)


def text(answer) -> str:
    return " ".join(html.unescape(answer.text).split())


def after_column(page: str) -> dict[str, str]:
    rows = re.findall(r'<tr data-ligne="([^"]+)">.*?class="jury-apres[^"]*"[^>]*>([^<]*)</td>',
                      page, re.S)
    return dict(rows)


def post(client, path, **fields):
    return client.post(path, data={"csrf_token": csrf_token(client, JURY), **fields})


def test_the_session_page_shows_the_quotas_then_the_dossiers(wave, client, login):
    login(client)
    page = client.get(JURY)
    assert page.status_code == 200
    body = page.text
    assert body.index('id="quotas-jury"') < body.index('id="dossiers-jury"')
    assert [int(n) for n in re.findall(r'<tr data-numero="(\d+)">', body)] == MARSEILLE
    assert "Pas de session ouverte : la première décision en ouvre une." in text(page)
    assert 'data-categorie="' in body and 'src="/static/jury.js"' in body


def test_a_decision_is_confirmed_with_the_quotas_it_makes_then_recorded(wave, client, login):
    login(client)
    before = after_column(client.get(JURY).text)
    asked = post(client, "/instruction/jury/decisions", numero=["1234505", "1234515"],
                 vers="laureat", motivation="Ancrage dans le quartier", vague="2")
    assert asked.status_code == 200
    assert "Confirmer : « Lauréat » pour 2 dossiers" in text(asked)
    assert '<svg' in asked.text and 'id="graphique-jury"' in asked.text  # the chart, then
    after = after_column(asked.text)
    # La Fabulerie is published (fabt-117): it completes that Fabrique, one more in all
    assert int(after["total"]) == int(before["total"].replace("\u202f", "")) + 1
    assert re.findall(r'<tr data-numero="(\d+)">.*?data-publiee="([^"]+)"', asked.text,
                      re.S) == [("1234505", "fabt-117")]  # 1234515 is a new Fabrique
    assert 'id="jury-deja-publiees"' in asked.text
    assert {d.number: d.state for d in list_dossiers(wave)}[1234505] == "transmis-au-jury"

    done = post(client, "/instruction/jury/decisions", numero=["1234505", "1234515"],
                vers="laureat", motivation="Ancrage dans le quartier", vague="2",
                confirme="oui")
    assert done.status_code == 302
    page = client.get(JURY)
    assert "2 dossiers : « Lauréat »" in text(page)
    assert 'id="decisions"' in page.text and "Session ouverte le" in text(page)
    assert {d.number: d.state for d in list_dossiers(wave)}[1234515] == "laureat"
    total = after_column(page.text)["total"]
    assert int(total.replace("\u202f", "")) == int(after["total"].replace("\u202f", ""))

    refused = followed(client, post(client, "/instruction/jury/decisions", numero=["1234515"],
                       vers="refuse-accompagnement", motivation="", vague="2",
                       confirme="oui"), "/instruction/jury?vague=2")
    assert "motivation obligatoire" in text(refused)


def ticked(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'name="numero" value="(\d+)" id="choix-\d+" checked',
                                       page)]


def test_a_refused_decision_keeps_what_was_ticked_and_written(wave, client, login):
    """A refusal (here 1234509 decided by a colleague meanwhile) and the confirmation's
    « Modifier la sélection » give the page back as it was filled: nothing to tick again."""
    login(client)
    asked = post(client, "/instruction/jury/decisions", numero=["1234505", "1234509"],
                 vers="refuse-recandidater", motivation="Budget à revoir", vague="2")
    assert "Modifier la sélection" in text(asked)
    changing = followed(client, post(
        client, "/instruction/jury/decisions", numero=["1234505", "1234509"],
        vers="refuse-recandidater", motivation="Budget à revoir", vague="2",
        confirme="modifier"), "/instruction/jury?vague=2#jury-selection")
    assert ticked(changing.text) == [1234505, 1234509]
    assert ">Budget à revoir</textarea>" in changing.text
    assert re.search(r'<option value="refuse-recandidater"[^>]*selected', changing.text)
    post(client, "/instruction/jury/decisions", numero=["1234509"], vers="laureat",
         motivation="Un collègue", vague="2", confirme="oui")
    refused = followed(client, post(
        client, "/instruction/jury/decisions", numero=["1234505", "1234509"],
        vers="refuse-recandidater", motivation="Budget à revoir", vague="2", confirme="oui"))
    assert "Aucune décision enregistrée : dossier 1234509" in text(refused)
    assert ticked(refused.text) == [1234505]  # 1234509 is decided: no longer in the table
    assert ">Budget à revoir</textarea>" in refused.text
    assert {d.number: d.state for d in list_dossiers(wave)}[1234505] == "transmis-au-jury"


def test_a_confirmation_of_a_session_closed_since_opens_no_new_one(wave, client, login):
    login(client)
    post(client, "/instruction/jury/decisions", numero=["1234509"], vers="laureat",
         motivation="Motif", vague="2", confirme="oui")
    asked = post(client, "/instruction/jury/decisions", numero=["1234505"], vers="laureat",
                 motivation="Motif", vague="2")
    (open_session,) = jury_sessions(wave, "2")
    assert f'name="session_vue" value="{open_session.id}"' in asked.text
    close(client, membres="Mme A", confirme="oui")
    late = followed(client, post(client, "/instruction/jury/decisions", numero=["1234505"],
                                 vers="laureat", motivation="Motif", vague="2", confirme="oui",
                                 session_vue=str(open_session.id)))
    assert "a été close depuis la confirmation" in text(late)
    assert len(jury_sessions(wave, "2")) == 1
    assert {d.number: d.state for d in list_dossiers(wave)}[1234505] == "transmis-au-jury"


def test_a_laureate_failing_the_rules_is_warned_before_the_decision(wave, client, login):
    """Le Chai 2.0 (legal form 1000, an entrepreneur: not admitted) may be named, warned."""
    for target in ("en-instruction", "recevable", "transmis-au-jury"):
        move_dossiers(wave, [1234508], target, "instructrice")
    login(client)
    asked = post(client, "/instruction/jury/decisions", numero=["1234508", "1234505"],
                 vers="laureat", motivation="Projet solide", vague="2")
    warned = re.search(r'id="jury-verifications".*?</div>', asked.text, re.S).group(0)
    assert "Dossier 1234508\u00a0: forme juridique non conforme" in html.unescape(warned)
    assert "1234505" not in warned
    refusal = post(client, "/instruction/jury/decisions", numero=["1234508"],
                   vers="refuse-accompagnement", motivation="Forme", vague="2")
    assert 'id="jury-verifications"' not in refusal.text
    # nor « Au-delà des cibles » (the published list is over 300): a refusal counts nowhere
    assert 'id="jury-depassements"' in asked.text and 'id="jury-depassements"' not in refusal.text


def test_a_decision_is_reversed_then_the_session_closed_and_locked(wave, client, login):
    login(client)
    for number, decision in ((1234505, "laureat"), (1234515, "refuse-recandidater")):
        post(client, "/instruction/jury/decisions", numero=[str(number)], vers=decision,
             motivation="Motif du jury", vague="2", confirme="oui")
    shown = re.search(r'name="numero" value="1234515">.*?name="decision_vue" value="(\d+)"',
                      client.get(JURY).text, re.S).group(1)  # the form names what it shows
    assert int(shown) == dossier_events(wave, 1234515)[-1].id
    post(client, "/instruction/jury/annulation", numero=["1234515"],
         motivation="Avis à attendre", vague="2", decision_vue=shown)
    assert {d.number: d.state for d in list_dossiers(wave)}[1234515] == "transmis-au-jury"
    assert dossier_events(wave, 1234515)[-1].kind == "decision-annulee"

    before = text(client.get(JURY))  # the closing says what it leaves undecided, unwritten
    assert ("2 dossiers transmis au jury restent sans décision (1234509, 1234515) : la clôture "
            "ne les décide pas, ils attendront une prochaine session.") in before
    with wave.begin() as connection:  # synthetic: a laureate the BAN could not place
        connection.execute(update(Dossier).where(Dossier.number == 1234505).values(
            commune_code=None))
    assert ("1 lauréat sans commune connue (1234505) : il ne rejoindra la table des Fabriques "
            "(carte, quotas, données ouvertes) qu'une fois localisé, par") in text(client.get(JURY))
    with wave.begin() as connection:
        connection.execute(update(Dossier).where(Dossier.number == 1234505).values(
            commune_code="13055"))
    unconfirmed = followed(client, close(client, membres="Mme A <Durand> (DGCL)"),
                           "/instruction/jury?vague=2#cloture")
    assert jury_sessions(wave, "2")[0].closed_at is None
    refused = html.unescape(unconfirmed.text)  # the members typed stay (they were emptied)
    assert "Session non close\u00a0: cochez la case qui confirme la clôture" in refused
    assert re.search(r'<textarea [^>]*id="membres"[^>]*>Mme A <Durand> \(DGCL\)</textarea>',
                     refused)
    close(client, membres="Mme A (DGCL)", confirme="oui")
    (session,) = jury_sessions(wave, "2")
    assert session.closed_at is not None and session.members == "Mme A (DGCL)"
    page = text(client.get(JURY))
    assert "Session de la vague 2 close : 1 lauréat décidé" in page
    assert "ce lauréat qu'une fois republiés par l'exploitant du service" in page  # who
    assert "Pas de session ouverte" in page and 'id="cloture"' not in page
    final = client.get("/instruction/jury/courriers?vague=2").text
    assert 'id="courrier-1234505"' in final and "courrier-projet" not in final  # no draft
    post(client, "/instruction/jury/annulation", numero=["1234505"], motivation="x",
         vague="2")
    assert "session close le" in text(client.get(JURY))
    assert {d.number: d.state for d in list_dossiers(wave)}[1234505] == "laureat"
    inventory = client.get("/donnees")
    assert inventory.status_code == 200 and "Lauréats décidés par les jurys" in inventory.text


def test_the_letters_say_each_decision_with_its_motivation(wave, client, login):
    login(client)
    decisions = {1234505: "laureat", 1234509: "refuse-recandidater",
                 1234515: "refuse-accompagnement"}
    for number, decision in decisions.items():
        post(client, "/instruction/jury/decisions", numero=[str(number)], vers=decision,
             motivation=f"Motif {number}", vague="2", confirme="oui")
    letters = client.get("/instruction/jury/courriers?vague=2")
    assert letters.status_code == 200
    # the session is open: every letter is a draft, said on the letter itself
    assert letters.text.count('class="courrier-projet"') == len(decisions)
    found = dict(re.findall(r'id="courrier-(\d+)" data-decision="([^"]+)"', letters.text))
    assert {int(n): d for n, d in found.items()} == decisions
    page = text(letters)
    assert "a retenu votre projet comme lauréat" in page and "Motif 1234505" in page
    assert "présenter de nouveau votre candidature" in page
    assert "vous invite à vous faire accompagner" in page
    assert "porteur-05@exemple.fr" not in page  # no e-mail in a letter
    one = text(client.get("/instruction/dossiers/1234505/courrier"))
    assert "50 000 € la première année" in one.replace("\u202f", " ")
    with wave.begin() as connection:  # an import after the decision (synthetic amounts)
        connection.execute(update(Dossier).where(Dossier.number == 1234505).values(
            amount_1=10_000, amount_3=None))
    again = text(client.get("/instruction/dossiers/1234505/courrier")).replace("\u202f", " ")
    assert "50 000 € la première année" in again and "10 000" not in again  # the jury's
    assert client.get("/instruction/dossiers/1234502/courrier").status_code == 404


def test_a_letter_says_nothing_the_service_could_not_settle(wave, client, login):
    """« Lieu : commune non déterminée », « Catégorie territoriale : à vérifier » went to
    the applicant: the letter leaves them out, the screen tells the instructor (not
    printed). Only the Bouches-du-Rhône are outlined here: the others have no commune."""
    unplaced = next(d.number for d in list_dossiers(wave)
                    if d.wave == "2" and d.commune_code is None and d.category == "a-verifier")
    for target in ("en-instruction", "recevable", "transmis-au-jury"):
        move_dossiers(wave, [unplaced], target, "instructrice")
    login(client)
    post(client, "/instruction/jury/decisions", numero=[str(unplaced), "1234505"],
         vers="laureat", motivation="Projet solide", vague="2", confirme="oui")
    page = html.unescape(client.get("/instruction/jury/courriers?vague=2").text)
    letters = dict(re.findall(r'id="courrier-(\d+)".*?(<dl.*?</dl>)', page, re.S))
    assert "non déterminée" not in "".join(letters.values())  # only the screen's note says it
    assert "à vérifier" not in letters[str(unplaced)]
    assert "Lieu" not in letters[str(unplaced)] and "Lieu" in letters["1234505"]
    notes = [" ".join(note.split()) for note in re.findall(
        r'<p class="courrier-a-completer[^"]*">(.*?)</p>', page, re.S)]
    assert any("lieu et catégorie territoriale non déterminés" in n for n in notes)
    placed = next(d for d in list_dossiers(wave) if d.number == 1234505)
    settled = placed.category != "a-verifier"  # no density grid loaded here: undetermined
    assert ("Catégorie territoriale" in letters["1234505"]) == settled
    assert len(notes) == (1 if settled else 2)
    css = (Path(__file__).parents[2] / "app/static/fabriques.css").read_text()
    printed = css.split("@media print", 1)[1].split("}", 1)[0]
    assert ".courrier-a-completer" in printed  # on screen only


def test_a_laureate_without_commune_still_counts_after_the_closing(wave, client, login,
                                                                    data_dir):
    """The closing writes no laureate without a commune (until an import places it): its
    wave's count and the totals dropped it. It counts « à vérifier » in every quota (the
    jury's page, the dashboard's records), in place of a published Fabrique it would be,
    with the amounts its decision granted, in its département's région."""
    unplaced = next(d.number for d in list_dossiers(wave)
                    if d.wave == "2" and d.commune_code is None)
    for name in ("regions", "departements"):
        load_source(wave, name, None, data_dir=data_dir, progress=False)
    with wave.begin() as connection:  # as an import finds it in the address (dossier_places)
        connection.execute(update(Dossier).where(Dossier.number == unplaced)
                           .values(departement_code="71"))
    for target in ("en-instruction", "recevable", "transmis-au-jury"):
        move_dossiers(wave, [unplaced], target, "instructrice")
    policy = load_policy("current")
    before = programme_records(wave, policy)
    login(client)
    post(client, "/instruction/jury/decisions", numero=[str(unplaced)], vers="laureat",
         motivation="Projet solide", vague="2", confirme="oui")
    close(client, membres="Mme A", confirme="oui")
    assert f"ds-{unplaced}" not in {row["id"] for row in laureate_table(wave, policy)}
    after = programme_records(wave, policy)
    added = {r.id for r in after} - {r.id for r in before}
    assert added == {f"ds-{unplaced}"} and len(after) == len(before) + 1
    record = next(r for r in after if r.id == f"ds-{unplaced}")
    assert record.category == "a-verifier"
    decided = next(d for d in list_dossiers(wave) if d.number == unplaced)
    granted = (decided.amount_1, decided.amount_2, decided.amount_3)
    assert record.yearly_eur == granted and record.departement == decided.departement_code
    assert record.region == place_names(wave)["departement_region"]["71"] == "27"
    with wave.begin() as connection:  # an import corrects the amounts asked: the granted stay
        connection.execute(update(Dossier).where(Dossier.number == unplaced)
                           .values(amount_1=1, amount_2=2, amount_3=3))
    record = next(r for r in programme_records(wave, policy) if r.id == f"ds-{unplaced}")
    assert record.yearly_eur == granted and record.funding_eur == sum(granted)


@pytest.mark.parametrize(("role", "status"), [("ministry", 200), ("prefecture", 403)])
def test_who_sees_the_jury_and_who_decides(wave, client, login, role, status):
    if role == "prefecture":
        prefecture(client, login, "13")
    else:
        login(client, role)
    page = client.get(JURY)
    assert page.status_code == status
    if status == 200:
        assert 'id="quotas-jury"' in page.text and 'name="numero"' not in page.text
        answer = post(client, "/instruction/jury/decisions", numero=["1234505"],
                      vers="laureat", motivation="x", vague="2", confirme="oui")
        assert answer.status_code == 403


def test_a_match_the_rules_made_is_undone_by_a_person(wave, client, login):
    """La Fabulerie's dossier bears the published fabt-117's name: counted as it. Were it
    another Fabrique, nothing on the pages could say so (only the « à confirmer » were)."""
    login(client)
    post(client, "/instruction/jury/decisions", numero=["1234505"], vers="laureat",
         motivation="Motif du jury", vague="2", confirme="oui")
    close(client, membres="Mme A", confirme="oui")
    page = text(client.get(JURY))
    assert re.search(r"LA FABULERIE \(ds-1234505\) : même Fabrique que\s+LA FABULERIE "
                     r"\(fabt-117\)", page)
    post(client, "/instruction/jury/correspondance", laureat="ds-1234505", publie="distinct",
         vague="2")
    after = client.get(JURY).text
    assert 'id="rapproche-ds-1234505"' not in after
    assert "ds-1234505" in {r.id for r in laureate_records(wave, load_policy("current"))}


def test_a_laureate_to_match_is_asked_on_its_own_wave_page(wave, client, login):
    """A laureate « à confirmer » of wave 2 is asked on wave 2's page, not on every wave's."""
    with wave.begin() as connection:  # synthetic: a project renamed since its publication
        connection.execute(update(Dossier).where(Dossier.number == 1234509).values(
            project_name="Tiers-lieu de la Belle de Mai", company_name="SCIC BELLE DE MAI"))
    login(client)
    post(client, "/instruction/jury/decisions", numero=["1234509"], vers="laureat",
         motivation="Motif du jury", vague="2", confirme="oui")
    close(client, membres="Mme A", confirme="oui")
    assert 'id="rapprocher-ds-1234509"' in client.get(JURY).text
    assert "rapprocher-ds-" not in client.get("/instruction/jury?vague=1").text


def test_the_quotas_are_read_with_the_pages_own_figures(wave, client, login):
    """The key said « « de 3 à 12 » : 3 Fabriques y sont à coup sûr… », figures of no line
    of the table: it reads the first range of the table itself."""
    login(client)
    page = html.unescape(client.get(JURY).text)
    ranges = [(int(low), int(high)) for low, high in
              re.findall(r'data-min="(\d+)" data-max="(\d+)"', page) if low != high]
    assert ranges, "the shared list has laureates « à vérifier »: some line is a range"
    low, high = ranges[0]
    key = " ".join(re.search(r'id="quotas-jury-lecture">(.*?)</p>', page, re.S).group(1).split())
    assert f"« de {low} à {high} »" in key.replace("\u202f", " ")
    sure = "Fabriques y sont" if low > 1 else "Fabrique y est"  # « 1 Fabriques y sont »
    assert f"{low} {sure} à coup sûr, {high} au plus" in key.replace("\u202f", " ")


def test_a_motivation_is_counted_as_the_browser_counts_it(wave, client, login):
    """1,999 characters typed with 39 line breaks fit the textarea's 2,000, but the browser
    sends each break as CR LF: the server counted 2,000 and refused."""
    login(client)
    typed = "\r\n".join(["x" * 49] * 40)
    assert len(typed.replace("\r\n", "\n")) <= 2000 < len(typed)
    post(client, "/instruction/jury/decisions", numero=["1234505"], vers="laureat",
         motivation=typed, vague="2", confirme="oui")
    event = dossier_events(wave, 1234505)[-1]
    assert event.kind == "decision" and event.motivation == typed.replace("\r\n", "\n")
