"""Régions, départements, communes and EPCI (COG 2026) on both backends, from the real
shared files and from broken copies of them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from geodata.storage.models import Commune, DatasetVersion, Departement, Epci, EpciMember, Region
from tests.loaders.common import count, load, refused, write_json

pytestmark = pytest.mark.shared_data

REGIONS = "communes/regions_cog2026_decoupage_administratif.json"
DEPARTEMENTS = "communes/departements_cog2026_decoupage_administratif.json"
COMMUNES = "communes/communes_cog2026_decoupage_administratif.json"
EPCI = "communes/epci_cog2026_decoupage_administratif.json"


def one(engine, model, code):
    with engine.connect() as connection:
        return connection.execute(
            select(model.__table__).where(model.code == code)).one()


def records(data_dir, path):
    return json.loads((data_dir / path).read_text(encoding="utf-8"))


# --- régions and départements --------------------------------------------------------------

def test_regions_and_departements(engine, data_dir):
    regions = load(engine, "regions", data_dir)
    departements = load(engine, "departements", data_dir)

    assert regions.loaded == {"regions": 26} and departements.loaded == {"departements": 109}
    assert count(engine, Region, Region.zone == "metro") == 13
    assert count(engine, Region, Region.zone == "drom") == 5
    assert one(engine, Region, "76").name == "Occitanie"
    haute_garonne = one(engine, Departement, "31")
    assert (haute_garonne.name, haute_garonne.region_code) == ("Haute-Garonne", "76")
    assert one(engine, Departement, "2A").zone == "metro"
    assert one(engine, Departement, "974").zone == "drom"
    with engine.connect() as connection:
        version = connection.execute(
            select(DatasetVersion.__table__).where(DatasetVersion.source == "departements")
        ).one()
    assert version.vintage == "COG 2026"
    assert version.complete_for == {"scope": "country", "codes": []}
    assert version.checksum.startswith("sha256:1ebe7e0a")


def test_regions_document_that_is_not_a_list(engine, data_dir, tmp_path):
    load(engine, "regions", data_dir)
    path = write_json(tmp_path / "objet.json", {"regions": records(data_dir, REGIONS)})

    error = refused(engine, "regions", path)

    assert "objet.json" in str(error) and "liste d'objets JSON" in str(error)
    assert count(engine, Region) == 26
    assert count(engine, DatasetVersion) == 1


def test_departements_duplicated_code(engine, data_dir, tmp_path):
    load(engine, "departements", data_dir)
    document = records(data_dir, DEPARTEMENTS)
    document[40]["code"] = document[30]["code"]
    path = write_json(tmp_path / "doublon.json", document)

    error = refused(engine, "departements", path)

    message = str(error)
    assert "doublon.json" in message and "clé en double" in message
    assert "enregistrement 31" in message and "enregistrement 41" in message
    assert error.field == "code"
    assert count(engine, Departement) == 109
    assert one(engine, Departement, "31").name == "Haute-Garonne"


# --- communes --------------------------------------------------------------------------------

def test_communes_keep_current_communes_arrondissements_and_former_ones(engine, data_dir):
    report = load(engine, "communes", data_dir)

    assert report.status == "chargé"
    assert report.loaded == {"communes": 37_006}  # 34 969 + 45 + 1 521 + 471
    assert count(engine, Commune, Commune.kind == "commune-actuelle") == 34_969
    assert count(engine, Commune, Commune.kind == "arrondissement-municipal") == 45
    # former communes with a code of their own: kept, their current commune as parent (the
    # Fabrique fabt-379, in 49069 Champtoceaux, had no département nor région)
    assert count(engine, Commune, Commune.kind == "commune-deleguee") == 1_521
    assert count(engine, Commune, Commune.kind == "commune-associee") == 471
    champtoceaux = one(engine, Commune, "49069")
    assert (champtoceaux.name, champtoceaux.parent_code, champtoceaux.departement_code,
            champtoceaux.region_code) == ("Champtoceaux", "49126", "49", "52")
    reasons = [reason for _, reason in report.skipped]  # those sharing their commune's code
    assert len(reasons) == 584 and all(r.startswith("commune déléguée") for r in reasons)
    # 12218 is both Conques-en-Rouergue and one of its delegated communes: the current one wins.
    assert one(engine, Commune, "12218").name == "Conques-en-Rouergue"
    assert "12218 (enregistrement" in " ".join(where for where, _ in report.skipped)
    toulouse = one(engine, Commune, "31555")
    assert (toulouse.name, toulouse.departement_code, toulouse.region_code) == (
        "Toulouse", "31", "76")
    assert toulouse.parent_code is None and toulouse.population > 400_000
    marseille_1er = one(engine, Commune, "13201")
    assert (marseille_1er.kind, marseille_1er.parent_code) == ("arrondissement-municipal",
                                                                "13055")
    assert count(engine, Commune, Commune.parent_code == "75056") == 20
    assert one(engine, Commune, "98411").population is None  # TAAF: no légale population


def test_communes_second_run_changes_nothing(engine, data_dir):
    first = load(engine, "communes", data_dir)
    second = load(engine, "communes", data_dir)

    assert second.status == "inchangé"
    assert second.version_id == first.version_id
    assert count(engine, DatasetVersion) == 1
    assert count(engine, Commune) == 37_006


@pytest.fixture
def communes_loaded(engine, data_dir):
    """The real communes loaded once: the data every bad load must leave alone."""
    load(engine, "communes", data_dir)
    return one(engine, Commune, "31555")


def assert_communes_intact(engine, toulouse):
    assert count(engine, Commune) == 37_006
    assert one(engine, Commune, "31555") == toulouse
    assert count(engine, DatasetVersion) == 1


def test_communes_truncated_json(engine, communes_loaded, data_dir, tmp_path):
    path = tmp_path / "tronque.json"
    path.write_bytes((data_dir / COMMUNES).read_bytes()[:1_000_000])

    error = refused(engine, "communes", path)

    assert "tronque.json" in str(error) and "tronqué" in str(error)
    # one record per line: the error is on the line where the file was cut
    assert isinstance(error.row, int) and 4_000 < error.row < 5_000
    assert_communes_intact(engine, communes_loaded)


def _commune_without_name(document):
    assert document[99]["type"] == "commune-actuelle"
    del document[99]["nom"]


def _commune_twice(document):
    assert document[0]["type"] == document[1]["type"] == "commune-actuelle"
    document[1]["code"] = document[0]["code"]


def _code_without_its_zero(document):
    document[4]["code"] = "1005"  # a leading zero lost by a spreadsheet


def _unknown_kind(document):
    document[6]["type"] = "commune-nouvelle"


@pytest.mark.parametrize(("edit", "said", "row", "field"), [
    pytest.param(_commune_without_name, ["absent"], "enregistrement 100", "nom",
                 id="missing-required-field"),
    pytest.param(_commune_twice, ["'01001'", "enregistrement 1,", "enregistrement 2"], None,
                 "code", id="duplicated-code"),
    pytest.param(_code_without_its_zero, ["'1005'"], "enregistrement 5", "code",
                 id="malformed-code"),
    pytest.param(_unknown_kind, ["'commune-nouvelle'"], "enregistrement 7", "type",
                 id="unknown-kind"),
])
def test_broken_communes_file_is_refused(engine, communes_loaded, data_dir, tmp_path, edit,
                                         said, row, field):
    document = records(data_dir, COMMUNES)
    edit(document)

    error = refused(engine, "communes", write_json(tmp_path / "casse.json", document))

    assert "casse.json" in str(error) and all(part in str(error) for part in said)
    assert (error.row, error.field) == (row, field)
    assert_communes_intact(engine, communes_loaded)


def test_communes_arrondissement_without_its_commune(engine, communes_loaded, data_dir,
                                                     tmp_path):
    document = [r for r in records(data_dir, COMMUNES) if r["code"] != "69123"]
    path = write_json(tmp_path / "sans_lyon.json", document)

    error = refused(engine, "communes", path)

    assert "69381" in str(error) and "69123" in str(error)
    assert error.field == "commune"
    assert_communes_intact(engine, communes_loaded)


# --- EPCI ------------------------------------------------------------------------------------

def test_epci_and_their_members(engine, data_dir):
    report = load(engine, "epci", data_dir)

    assert report.loaded == {"epci": 1_255, "epci_members": 34_871}
    with engine.connect() as connection:
        kinds = dict(connection.execute(
            select(Epci.kind, func.count()).group_by(Epci.kind)).all())
        toulouse = connection.execute(
            select(Epci.code, Epci.name, Epci.kind)
            .join(EpciMember, EpciMember.epci_code == Epci.code)
            .where(EpciMember.commune_code == "31555")
        ).one()
    assert kinds == {"CC": 989, "CA": 230, "CU": 14, "METRO": 21, "MET69": 1}
    assert kinds["METRO"] + kinds["MET69"] == 22  # the 22 métropoles
    assert tuple(toulouse) == ("243100518", "Toulouse Métropole", "METRO")
    assert one(engine, Epci, "200046977").population == 1_433_613  # Métropole de Lyon
    assert load(engine, "epci", data_dir).status == "inchangé"
    assert count(engine, EpciMember) == 34_871


@pytest.fixture
def epci_loaded(engine, data_dir):
    load(engine, "epci", data_dir)


def assert_epci_intact(engine):
    assert count(engine, Epci) == 1_255
    assert count(engine, EpciMember) == 34_871
    assert count(engine, EpciMember, EpciMember.commune_code == "31555",
                 EpciMember.epci_code == "243100518") == 1
    assert count(engine, DatasetVersion) == 1


def _commune_in_two_epci(document):
    document[10]["membres"].append(dict(document[3]["membres"][0]))


def _siren_too_short(document):
    document[2]["code"] = "24310051"


def _epci_without_members(document):
    del document[5]["membres"]


@pytest.mark.parametrize(("edit", "said", "row", "field"), [
    pytest.param(_commune_in_two_epci, ["clé en double", "enregistrement 4, membre 1",
                                        "enregistrement 11, membre"], None, "membres.code",
                 id="commune-in-two-epci"),
    pytest.param(_siren_too_short, ["'24310051'"], "enregistrement 3", "code", id="bad-siren"),
    pytest.param(_epci_without_members, [], "enregistrement 6", "membres",
                 id="missing-members"),
])
def test_broken_epci_file_is_refused(engine, epci_loaded, data_dir, tmp_path, edit, said, row,
                                     field):
    document = records(data_dir, EPCI)
    edit(document)

    error = refused(engine, "epci", write_json(tmp_path / "casse.json", document))

    assert "casse.json" in str(error) and all(part in str(error) for part in said)
    assert (error.row, error.field) == (row, field)
    assert_epci_intact(engine)


def test_a_file_other_than_the_registrys_keeps_neither_its_origin_nor_its_licence(
        engine, data_dir, tmp_path):
    """`fabriques datasets` and /donnees showed the registry's origin and licence for any
    file loaded under the source. Synthetic: the real régions written again (same records,
    another layout, so another checksum)."""
    load(engine, "regions", data_dir)
    with engine.connect() as connection:
        reference = connection.execute(select(DatasetVersion.__table__).where(
            DatasetVersion.current.is_(True))).one()
    assert reference.url.startswith("https://www.npmjs.com/") and reference.licence.startswith(
        "Licence Ouverte")
    report = load(engine, "regions", path=write_json(tmp_path / "regions.json",
                                                    records(data_dir, REGIONS)))
    assert report.status == "chargé"
    with engine.connect() as connection:
        other = connection.execute(select(DatasetVersion.__table__).where(
            DatasetVersion.current.is_(True))).one()
    assert other.url is None and other.path.endswith("regions.json")
    assert other.licence.startswith("non vérifiée : ce n'est pas le fichier du registre")
