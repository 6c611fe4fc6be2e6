"""A checker's batch turned into the dossiers of a wave, on both backends.

The batch is the kind an instructor checks on ``/verifier/lot``: its ``id`` column holds the
dossiers' Démarches Simplifiées numbers (those of the hand-made wave of ``tests/data/dossiers``,
so that the wave's export can be imported after it), with coordinates or addresses. The QPV
2024 PACA outlines are loaded; addresses are geocoded by the local fake BAN.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from geodata.geocoder import BanClient
from geodata.storage.dossier_models import Dossier
from geodata.storage.dossiers import dossier_events, list_dossiers
from loaders.dossiers import import_batch_dossiers, import_dossiers
from loaders.errors import LoadError
from tests.ban_server import ban_server_fixture  # noqa: F401 - the BAN-speaking server
from tests.loaders.common import load

pytestmark = pytest.mark.shared_data

WAVE = Path(__file__).parents[1] / "data" / "dossiers" / "ami2019_vague.csv"
BATCH = ("id;adresse;lon;lat;nom_projet;type_fabrique;forme_juridique_code\n"
         "1234505;;5,38391;43,295313;LA FABULERIE;FT;9220\n"        # Marseille, a point
         "1234512;41 AV DANTON 17000 LA ROCHELLE;;;;Fabrique de Territoire;\n"  # geocoded
         "fabulerie;;5,38391;43,295313;;;\n"                         # not a DS number
         "1234505;;5,4;43,3;;;\n"                                   # a repeated number
         "1234560;;;;;;\n"                                          # no place at all
         "1234561;;5,4;43,3;;Tiers-lieu;\n")                        # an unknown type


@pytest.fixture
def paca(qpv_facts, data_dir):
    load(qpv_facts, "qpv2024-paca", data_dir)
    return qpv_facts


@pytest.fixture
def ban(ban_server):
    with BanClient(ban_server.url, max_retries=0) as client:
        yield client


def from_batch(engine, ban, data_dir, text=BATCH, wave="2"):
    return import_batch_dossiers(engine, ban, text.encode(), "vague2.csv", wave=wave,
                                 data_dir=data_dir, actor="instructeur@exemple.gouv.fr")


def test_a_batch_becomes_dossiers_of_the_wave_with_its_bad_rows_reported(paca, ban, data_dir):
    report = from_batch(paca, ban, data_dir)

    assert sorted(report.stored.created) == [1234505, 1234512]
    assert {(e.line, e.column) for e in report.intake.errors} == {
        (4, "id"), (5, "id"), (6, None), (7, "type_fabrique")}
    reasons = {e.line: e.message for e in report.intake.errors}
    assert "numéro du dossier sur Démarches Simplifiées" in reasons[4]
    assert "déjà lu ligne 2" in reasons[5]
    dossiers = {d.number: d for d in list_dossiers(paca)}
    marseille, la_rochelle = dossiers[1234505], dossiers[1234512]
    assert {d.wave for d in dossiers.values()} == {"2"}
    assert all(d.filed_at is None and d.state == "depose" for d in dossiers.values())
    # the point is classified where it is, with the facts the batch carried
    assert marseille.precision == "point" and marseille.commune_code.startswith("13")
    assert marseille.category != "a-verifier" and marseille.departement_code == "13"
    assert marseille.kind == "FT" and marseille.project_name == "LA FABULERIE"
    assert marseille.checks["forme_juridique"]["value"] is True
    # the address went through the BAN; what the batch does not say stays undetermined
    assert la_rochelle.geocoded_label and la_rochelle.lon is not None
    assert la_rochelle.checks["forme_juridique"]["value"] is None
    assert la_rochelle.checks["financement"]["value"] is None
    creation = dossier_events(paca, 1234512)[0]
    assert creation.kind == "import" and creation.details["lot"] == "vague2.csv"
    assert creation.actor == "instructeur@exemple.gouv.fr"


def test_the_waves_export_then_completes_them_and_keeps_their_instruction(paca, ban, data_dir):
    from_batch(paca, ban, data_dir)
    with paca.begin() as connection:
        connection.execute(Dossier.__table__.update().where(Dossier.number == 1234505)
                           .values(state="en-instruction"))

    report = import_dossiers(paca, ban, WAVE, data_dir=data_dir, actor="test")

    assert 1234505 in report.stored.updated and 1234505 not in report.stored.created
    dossier = {d.number: d for d in list_dossiers(paca)}[1234505]
    assert dossier.filed_at is not None and dossier.siret is None  # none in the export
    assert dossier.company_name == "LA FABULERIE" and dossier.state == "en-instruction"
    with paca.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Dossier)
                                 .where(Dossier.number == 1234505)) == 1


def test_a_batch_never_changes_a_dossier_already_stored(paca, ban, data_dir):
    import_dossiers(paca, ban, WAVE, data_dir=data_dir, actor="test")
    before = {d.number: d for d in list_dossiers(paca)}[1234505]

    report = from_batch(paca, ban, data_dir, wave="3")

    assert report.stored.kept == [1234505, 1234512] and not report.stored.created
    after = {d.number: d for d in list_dossiers(paca)}[1234505]
    assert (after.wave, after.filed_at, after.company_name, after.checks) == (
        before.wave, before.filed_at, before.company_name, before.checks)
    assert len(dossier_events(paca, 1234505)) == 1


def test_an_unknown_wave_or_an_unreadable_batch_creates_nothing(paca, ban, data_dir):
    with pytest.raises(LoadError, match="vague inconnue"):
        from_batch(paca, ban, data_dir, wave="99")
    with pytest.raises(LoadError, match="lot illisible"):
        from_batch(paca, ban, data_dir, text="numero;commune\n1;Autun\n")
    assert list_dossiers(paca) == []
