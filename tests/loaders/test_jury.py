"""A wave's jury on both backends: decisions, their reversal, closing, and the laureates it
writes beside the published list.

The dossiers are those of the hand-made wave of ``tests/data/dossiers`` (real organisations,
most of them real laureates of the published ANCT list, which is loaded too), placed with
the outlines of the communes of Saône-et-Loire and Bouches-du-Rhône (so that Autun and
Marseille dossiers have their commune) and the local fake BAN.
"""

from __future__ import annotations

import pytest
import shapely
from sqlalchemy import select, update

from geodata.geocoder import BanClient
from geodata.storage.dossier_models import Dossier
from geodata.storage.dossiers import MoveRefused, dossier_events, list_dossiers, move_dossiers
from geodata.storage.jury import (
    JuryError,
    close_session,
    decide,
    decisions_of,
    jury_sessions,
    open_session,
    reverse_decisions,
)
from geodata.storage.jury_laureates import (
    JURY_SOURCE,
    confirm_match,
    granted_amounts,
    pending_matches,
    refresh_jury_laureates,
)
from geodata.storage.models import DatasetVersion, Laureate
from loaders.dossiers import import_dossiers, reverify_dossiers
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server
from tests.loaders.common import load
from tests.loaders.test_dossiers_import import WAVE
from tests.support import contours_of

pytestmark = pytest.mark.shared_data

AUTUN, FABULERIE, FRICHE, AVEC_NOUS, LIMOUSIN = 1234501, 1234505, 1234509, 1234515, 1234513
ACTOR = "presidente-du-jury@anct.gouv.fr"


@pytest.fixture(scope="module")
def contours(tmp_path_factory, data_dir):
    return contours_of(data_dir, ["13", "71"],
                       tmp_path_factory.mktemp("contours") / "contours_13_71.geojson")


@pytest.fixture
def wave(engine, data_dir, ban_server, contours):
    """The wave imported, the published laureates loaded, four dossiers sent to the jury."""
    load(engine, "commune-contours", path=contours)
    load(engine, "laureates", data_dir)
    with BanClient(ban_server.url, max_retries=0) as ban:
        import_dossiers(engine, ban, WAVE, data_dir=data_dir, actor="test")
    for target in ("en-instruction", "recevable", "transmis-au-jury"):
        move_dossiers(engine, [AUTUN, FABULERIE, FRICHE, AVEC_NOUS], target, "instructrice")
    return engine


def states(engine) -> dict[int, str]:
    return {d.number: d.state for d in list_dossiers(engine)}


def jury_laureates(engine) -> dict[str, Laureate]:
    with engine.connect() as connection:
        return {row.id: row for row in connection.execute(
            select(Laureate).join(DatasetVersion).where(DatasetVersion.source == JURY_SOURCE))}


def test_a_decision_is_refused_unless_every_dossier_may_receive_it(wave):
    cases = [
        ([FABULERIE, 1234502], "laureat", "Projet solide", "seul un dossier « Transmis au "
                                                           "jury » reçoit une décision"),
        ([FABULERIE], "laureat", "  ", "motivation obligatoire"),
        ([FABULERIE], "conventionne", "motif", "décision inconnue"),
        ([AUTUN, FABULERIE], "laureat", "motif", "une seule vague (ici : 1, 2)"),
        ([999], "laureat", "motif", "dossier inconnu"),
    ]
    for numbers, decision, motivation, said in cases:
        with pytest.raises(MoveRefused) as refused:
            decide(wave, numbers, decision, motivation, ACTOR)
        assert any(said in why for why in refused.value.reasons.values()), said
    assert set(states(wave)[n] for n in (AUTUN, FABULERIE, FRICHE)) == {"transmis-au-jury"}
    assert jury_sessions(wave, "2") == []


def test_decisions_open_the_session_and_are_events_of_the_dossiers(wave):
    jury = decide(wave, [FABULERIE, FRICHE], "laureat", "Ancrage dans le quartier", ACTOR)
    again = decide(wave, [AVEC_NOUS], "refuse-recandidater", "Budget à préciser", ACTOR)

    assert again.id == jury.id and open_session(wave, "2").id == jury.id
    assert (jury.wave, jury.opened_by, jury.closed_at) == ("2", ACTOR, None)
    assert states(wave)[FRICHE] == "laureat" and states(wave)[AVEC_NOUS] == \
        "refuse-recandidater"
    last = dossier_events(wave, AVEC_NOUS)[-1]
    assert (last.kind, last.from_state, last.to_state, last.motivation, last.actor) == (
        "decision", "transmis-au-jury", "refuse-recandidater", "Budget à préciser", ACTOR)
    assert last.jury_session_id == jury.id
    assert [d.number for d, _ in decisions_of(wave, jury.id)] == [FABULERIE, FRICHE, AVEC_NOUS]


def test_a_decision_is_reversed_while_its_session_is_open_and_then_never(wave):
    decide(wave, [FABULERIE, FRICHE], "laureat", "Ancrage dans le quartier", ACTOR)
    with pytest.raises(MoveRefused, match="motivation obligatoire"):
        reverse_decisions(wave, [FRICHE], "", ACTOR)
    with pytest.raises(MoveRefused, match="ne s'annule que par le jury"):
        move_dossiers(wave, [FRICHE], "transmis-au-jury", "instructrice", "erreur")

    reverse_decisions(wave, [FRICHE], "Avis de la préfecture à attendre", ACTOR)

    assert states(wave)[FRICHE] == "transmis-au-jury"
    assert dossier_events(wave, FRICHE)[-1].kind == "decision-annulee"
    jury = open_session(wave, "2")
    assert [d.number for d, _ in decisions_of(wave, jury.id)] == [FABULERIE]
    with pytest.raises(JuryError, match="membres présents"):
        close_session(wave, "2", " ", ACTOR)
    close_session(wave, "2", "Mme A (DGCL), M. B (ANCT)", ACTOR)
    with pytest.raises(MoveRefused, match="session close le"):
        reverse_decisions(wave, [FABULERIE], "Changement d'avis", ACTOR)
    with pytest.raises(JuryError, match="aucune session de jury ouverte"):
        close_session(wave, "2", "Mme A", ACTOR)
    assert states(wave)[FABULERIE] == "laureat"


def test_closing_writes_the_laureates_once_beside_the_published_list(wave):
    with wave.begin() as connection:  # synthetic: a project renamed since its publication
        connection.execute(update(Dossier).where(Dossier.number == FRICHE).values(
            project_name="Tiers-lieu de la Belle de Mai", company_name="SCIC BELLE DE MAI"))
    decide(wave, [FABULERIE, FRICHE], "laureat", "Ancrage dans le quartier", ACTOR)
    decide(wave, [AVEC_NOUS], "refuse-accompagnement", "Projet à mûrir", ACTOR)
    published = len(jury_laureates(wave)) == 0 and _count(wave)

    closed = close_session(wave, "2", "Mme A (DGCL), M. B (ANCT)", ACTOR)

    assert closed.decisions == {"laureat": 2, "refuse-accompagnement": 1}
    assert closed.session.members == "Mme A (DGCL), M. B (ANCT)" and closed.session.closed_at
    written = jury_laureates(wave)
    assert set(written) == {f"ds-{FABULERIE}", f"ds-{FRICHE}"} == set(
        f"ds-{n}" for n in (FABULERIE, FRICHE))
    fabulerie, friche = written[f"ds-{FABULERIE}"], written[f"ds-{FRICHE}"]
    dossier = {d.number: d for d in list_dossiers(wave)}[FABULERIE]
    assert (fabulerie.wave, fabulerie.kind, fabulerie.commune_code) == ("2", "FT", "13055")
    assert shapely.equals_exact(fabulerie.geom, shapely.Point(dossier.lon, dossier.lat), 1e-9)
    assert (fabulerie.amount_1, fabulerie.precision) == (dossier.amount_1, "point")
    # the same name in the same commune as a published laureate: the same Fabrique
    assert (fabulerie.match_state, fabulerie.published_match) == ("meme", "fabt-117")
    # Marseille has published laureates, none of this name: a person must say
    assert friche.match_state == "a-confirmer" and closed.laureates.to_confirm == [friche.id]
    (pending, candidates), = pending_matches(wave)
    assert pending.id == friche.id and "fabt-51" in {c.id for c in candidates}
    assert _count(wave) == published + 2

    confirm_match(wave, friche.id, "fabt-51", "instructrice")
    assert dossier_events(wave, FRICHE)[-1].kind == "correspondance"
    decide(wave, [AUTUN], "laureat", "FNT de la vague 1", ACTOR)
    close_session(wave, "1", "Mme C", ACTOR)  # a later closing rewrites every laureate

    rewritten = jury_laureates(wave)
    assert set(rewritten) == {f"ds-{n}" for n in (FABULERIE, FRICHE, AUTUN)}
    assert (rewritten[friche.id].match_state, rewritten[friche.id].published_match) == (
        "meme", "fabt-51")  # the person's answer stands
    assert rewritten[f"ds-{AUTUN}"].published_match == "fabt-38"
    with wave.connect() as connection:
        current = connection.scalars(select(DatasetVersion.id).where(
            DatasetVersion.source == JURY_SOURCE, DatasetVersion.current.is_(True))).all()
    assert len(current) == 1


def _count(engine) -> int:
    with engine.connect() as connection:
        return len(connection.scalars(select(Laureate.id)).all())


def test_a_published_laureate_with_the_same_siret_is_the_same_fabrique(wave):
    with wave.begin() as connection:  # synthetic: a published source that gives SIRETs
        connection.execute(update(Laureate).where(Laureate.id == "fabt-216")
                           .values(siret="32215073100022"))
        connection.execute(update(Dossier).where(Dossier.number == FABULERIE)
                           .values(siret="32215073100022", project_name="Autre nom"))
    decide(wave, [FABULERIE], "laureat", "Ancrage dans le quartier", ACTOR)
    close_session(wave, "2", "Mme A", ACTOR)
    laureate = jury_laureates(wave)[f"ds-{FABULERIE}"]
    assert (laureate.match_state, laureate.published_match) == ("meme", "fabt-216")


def test_a_laureate_is_conventionne_only_once_its_session_is_closed(wave):
    """Its decision may still be reversed; the closing counted it under a state it did not
    know (a crash of ``cloturer``, the session closed all the same)."""
    decide(wave, [FABULERIE], "laureat", "Ancrage dans le quartier", ACTOR)
    with pytest.raises(MoveRefused, match="peut encore être annulée"):
        move_dossiers(wave, [FABULERIE], "conventionne", "instructrice")
    closed = close_session(wave, "2", "Mme A", ACTOR)
    assert closed.decisions == {"laureat": 1}
    move_dossiers(wave, [FABULERIE], "conventionne", "instructrice")
    assert states(wave)[FABULERIE] == "conventionne"
    assert f"ds-{FABULERIE}" in jury_laureates(wave)


def test_a_published_fabrique_is_the_same_as_one_decided_laureate_only(wave):
    """La Fabulerie is published (fabt-117); a second dossier of the same organisation in the
    same commune, for another project, is not silently merged into it: a person says."""
    with wave.begin() as connection:
        connection.execute(update(Dossier).where(Dossier.number == AVEC_NOUS).values(
            project_name="La Fabulerie, second lieu", company_name="LA FABULERIE"))
        connection.execute(update(Dossier).where(Dossier.number == FRICHE).values(
            project_name="LA FABULERIE", company_name="Autre structure"))
    decide(wave, [FABULERIE, FRICHE, AVEC_NOUS], "laureat", "Ancrage", ACTOR)
    close_session(wave, "2", "Mme A", ACTOR)
    written = jury_laureates(wave)
    fabulerie, friche, avec_nous = (written[f"ds-{n}"] for n in (FABULERIE, FRICHE, AVEC_NOUS))
    assert (fabulerie.match_state, fabulerie.published_match) == ("meme", "fabt-117")
    # the same project name, but fabt-117 is already the same as La Fabulerie's dossier
    assert (friche.match_state, friche.published_match) == ("a-confirmer", "fabt-117")
    # the organisation's name only: possibly the same, to confirm
    assert (avec_nous.match_state, avec_nous.published_match) == ("a-confirmer", "fabt-117")
    assert {row.id for row, _ in pending_matches(wave)} == {friche.id, avec_nous.id}


def test_a_laureate_placed_after_the_closing_joins_the_table(wave, data_dir, ban_server,
                                                             tmp_path):
    """Without its commune at the closing, a laureate is listed, not written; once a later
    verification places it, the table gets it (it waited for another closing)."""
    for target in ("en-instruction", "recevable", "transmis-au-jury"):
        move_dossiers(wave, [LIMOUSIN], target, "instructrice")
    decide(wave, [LIMOUSIN], "laureat", "Tiers-lieu rural", ACTOR)
    closed = close_session(wave, "2", "Mme A", ACTOR)
    assert closed.laureates.without_commune == [LIMOUSIN]
    assert f"ds-{LIMOUSIN}" not in jury_laureates(wave)

    load(wave, "commune-contours",
         path=contours_of(data_dir, ["13", "71", "87"], tmp_path / "contours.geojson"))
    with BanClient(ban_server.url, max_retries=0) as ban:
        _, _, notes = reverify_dossiers(wave, ban, data_dir=data_dir, wave="2")
    laureate = jury_laureates(wave).get(f"ds-{LIMOUSIN}")
    assert laureate is not None and laureate.commune_code == "87001"
    assert any("lauréats des jurys réécrits" in note for note in notes), notes
    versions = _jury_versions(wave)
    with BanClient(ban_server.url, max_retries=0) as ban:
        _, _, notes = reverify_dossiers(wave, ban, data_dir=data_dir, wave="2")
    assert _jury_versions(wave) == versions  # nothing changed: nothing rewritten
    assert not any("lauréats des jurys" in note for note in notes)


def _jury_versions(engine) -> list[int]:
    with engine.connect() as connection:
        return connection.scalars(select(DatasetVersion.id).where(
            DatasetVersion.source == JURY_SOURCE)).all()


def test_a_person_holding_a_laureate_is_published_without_name_nor_siret(wave):
    """An « entrepreneur individuel » (catégorie juridique 1000) laureate: its « raison
    sociale » is a person's name, its SIRET a person's (synthetic: a real dossier made one)."""
    with wave.begin() as connection:
        connection.execute(update(Dossier).where(Dossier.number == FABULERIE).values(
            legal_form_code="1000", company_name="DUPONT MARIE", project_name=None,
            siret="38012345600014"))
    decide(wave, [FABULERIE, FRICHE], "laureat", "Ancrage dans le quartier", ACTOR)

    close_session(wave, "2", "Mme A (DGCL)", ACTOR)

    written = jury_laureates(wave)
    person, company = written[f"ds-{FABULERIE}"], written[f"ds-{FRICHE}"]
    assert (person.name, person.siret) == (f"Dossier {FABULERIE}", None)
    assert "DUPONT" not in str(person._mapping)
    friche = {d.number: d for d in list_dossiers(wave)}[FRICHE]  # a company keeps both
    assert (company.name, company.siret) == (friche.project_name or friche.company_name,
                                             friche.siret)


def test_an_import_after_the_closing_does_not_change_what_was_granted(wave):
    """The amounts of a closed decision were rewritten by a later import (the open data, the
    API and the letter then said 150,000 € where the jury saw 75,000 €). Synthetic: the
    dossier's amounts changed after the closing, as an import changes them."""
    decide(wave, [FABULERIE], "laureat", "Ancrage dans le quartier", ACTOR)
    close_session(wave, "2", "Mme A (DGCL)", ACTOR)
    seen = {d.number: d for d in list_dossiers(wave)}[FABULERIE]
    granted = (seen.amount_1, seen.amount_2, seen.amount_3)
    with wave.begin() as connection:
        connection.execute(update(Dossier).where(Dossier.number == FABULERIE).values(
            amount_1=45_000, amount_2=45_000, amount_3=45_000))
    assert granted != (45_000,) * 3

    refresh_jury_laureates(wave)

    laureate = jury_laureates(wave)[f"ds-{FABULERIE}"]
    assert (laureate.amount_1, laureate.amount_2, laureate.amount_3) == granted
    (dossier, event), = decisions_of(wave, jury_sessions(wave, "2")[0].id)
    assert granted_amounts(dossier, event) == list(granted)
    assert (dossier.amount_1, dossier.amount_2, dossier.amount_3) == (45_000,) * 3


def test_a_decision_taken_since_the_page_was_shown_is_not_reversed(wave):
    """Agent A's page showed « Lauréat »; agent B reversed it and decided a refusal; A's
    « Annuler » then reversed B's refusal, unseen."""
    decide(wave, [FABULERIE], "laureat", "Ancrage dans le quartier", ACTOR)
    shown = dossier_events(wave, FABULERIE)[-1].id  # what A's page showed
    reverse_decisions(wave, [FABULERIE], "Erreur de case", "agent-b", {FABULERIE: shown})
    decide(wave, [FABULERIE], "refuse-recandidater", "Vote 5 contre 3", "agent-b")

    with pytest.raises(MoveRefused) as refused:
        reverse_decisions(wave, [FABULERIE], "Annulation du lauréat", "agent-a",
                          {FABULERIE: shown})

    assert "la décision a changé depuis l'affichage de la page" in refused.value.reasons[
        FABULERIE] and "agent-b" in refused.value.reasons[FABULERIE]
    assert states(wave)[FABULERIE] == "refuse-recandidater"
    current = dossier_events(wave, FABULERIE)[-1].id
    reverse_decisions(wave, [FABULERIE], "Vote à refaire", "agent-a", {FABULERIE: current})
    assert states(wave)[FABULERIE] == "transmis-au-jury"


def test_a_mistaken_conventionne_goes_back_to_laureat_and_nothing_else_reaches_it(wave):
    """« Conventionné » by mistake could not be undone: « Lauréat » was offered nowhere."""
    decide(wave, [FABULERIE], "laureat", "Ancrage dans le quartier", ACTOR)
    close_session(wave, "2", "Mme A (DGCL)", ACTOR)
    move_dossiers(wave, [FABULERIE], "conventionne", "instructrice", instruction=True)
    with pytest.raises(MoveRefused, match="motivation obligatoire"):
        move_dossiers(wave, [FABULERIE], "laureat", "instructrice", instruction=True)
    move_dossiers(wave, [FABULERIE], "laureat", "instructrice", "Convention pas signée",
                  instruction=True)
    assert states(wave)[FABULERIE] == "laureat"
    with pytest.raises(MoveRefused) as refused:  # the jury's decision stays the jury's
        move_dossiers(wave, [FRICHE], "laureat", "instructrice", "Bon projet", instruction=True)
    assert "« Lauréat » est une décision du jury" in refused.value.reasons[FRICHE]


def test_a_decision_sent_twice_says_it_is_recorded(wave):
    """The confirmation sent again (back, « renvoyer le formulaire ») answered that only a
    dossier « Transmis au jury » gets a decision, as if it had failed."""
    decide(wave, [FABULERIE], "laureat", "Ancrage dans le quartier", ACTOR)
    with pytest.raises(MoveRefused) as again:
        decide(wave, [FABULERIE], "laureat", "Ancrage dans le quartier", ACTOR)
    assert again.value.reasons[FABULERIE] == ("décision déjà enregistrée : « Lauréat » ; rien "
                                              "de changé")
    assert [e.kind for e in dossier_events(wave, FABULERIE)].count("decision") == 1
