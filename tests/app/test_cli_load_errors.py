"""Every way a load can fail ends with « Erreur — … » and what was kept, never a traceback:
a file of the wrong kind, Ctrl-C while writing (both backends), the database lost in the
middle of a load (a PostgreSQL cluster of the test's own, stopped under the load)."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from app.db import EXTENSION
from geodata.storage.models import DatasetVersion
from loaders import write
from loaders.registry import get_source
from tests.own_postgres import own_postgres_fixture  # noqa: F401 - module-scoped
from tests.support import close_app, make_app

pytestmark = pytest.mark.shared_data


def versions_in_service(app, source: str) -> list[int]:
    with app.extensions[EXTENSION].connect() as connection:
        return list(connection.scalars(select(DatasetVersion.id).where(
            DatasetVersion.source == source, DatasetVersion.current.is_(True))))


def regions_file(data_dir) -> str:
    """The registry's file of the régions, given by its path (another vintage needs one)."""
    return str(get_source("regions").local_path(data_dir))


@pytest.mark.parametrize(("arguments", "said"), [
    (["qpv2024-paca", "--vintage", "2025"], "le fichier du registre de qpv2024-paca est du "
                                            "millésime 2024 : --vintage 2025 ne s'emploie"),
    (["qpv2024-paca", "{qpv}", "--vintage", "abc"], "millésime de QPV inconnu : abc (connus : "
                                                    "2015, 2024)"),
    (["qpv2024-paca", "ftp://exemple.invalid/qpv.geojson"], "seules les adresses http(s)"),
])
def test_a_load_that_would_take_real_data_out_of_service_is_refused(app, runner, data_dir,
                                                                    arguments, said):
    """A source's new version replaces the one in service: the registry's QPV file loaded
    as « 2025 » left PACA without QPV 2024 (« à vérifier » inside real QPVs)."""
    assert runner.invoke(args=["load", "qpv2024-paca", "--quiet"]).exit_code == 0
    before = versions_in_service(app, "qpv2024-paca")
    qpv = str(get_source("qpv2024-paca").local_path(data_dir))
    result = runner.invoke(args=["load", *[a.format(qpv=qpv) for a in arguments], "--quiet"])
    assert result.exit_code == 1 and said in result.output, result.output
    assert "Données précédentes conservées." in result.output
    assert versions_in_service(app, "qpv2024-paca") == before


def test_a_table_given_to_a_source_of_outlines_is_refused(app, runner, data_dir):
    table = data_dir / "laureates" / "fabriques_territoire_anct_202401_list.csv"
    result = runner.invoke(args=["load", "qpv2024-paca", str(table), "--quiet"])
    assert result.exit_code == 1
    assert "Erreur — qpv2024-paca" in result.output and "fichier sans géométries" in result.output
    assert "Données précédentes conservées." in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("given", "said"), [
    ("qpv", "c'est un dossier : donnez le fichier qu'il contient"),
    ("qpv/absent.geojson", "fichier introuvable")])
def test_a_folder_or_a_missing_file_given_to_load_is_said_as_such(app, runner, data_dir,
                                                                  given, said):
    before = versions_in_service(app, "qpv2024-paca")
    result = runner.invoke(args=["load", "qpv2024-paca", str(data_dir / given), "--quiet"])
    assert result.exit_code == 1
    assert f"Erreur — qpv2024-paca : {data_dir / given} : {said}. Données précédentes " \
           "conservées." in result.output
    assert versions_in_service(app, "qpv2024-paca") == before


@pytest.mark.parametrize(("folder", "state"), [
    ("absent", "introuvable"), ("qpv", "sans aucun des fichiers du registre")])
def test_a_wrong_shared_folder_is_said_once_before_any_load(app, runner, data_dir, tmp_path,
                                                            folder, state):
    app.config["DATA_DIR"] = str(tmp_path / "absent" if folder == "absent" else data_dir / folder)
    for args in (["load", "demo", "--quiet"], ["load", "regions", "--quiet"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1
        assert result.output.startswith(f"Erreur — dossier des données partagées {state} : "), (
            result.output)
        assert "FABRIQUES_DATA_DIR" in result.output and result.output.count("Erreur") == 1
        assert versions_in_service(app, "regions") == []
    given = data_dir / "communes" / "regions_cog2026_decoupage_administratif.json"
    assert runner.invoke(args=["load", "regions", str(given), "--quiet"]).exit_code == 0


def test_a_local_file_is_checked_against_the_checksum_given(app, runner, data_dir):
    given = data_dir / "communes" / "regions_cog2026_decoupage_administratif.json"
    digest = hashlib.sha256(given.read_bytes()).hexdigest()
    load = ["load", "regions", str(given), "--quiet", "--sha256"]
    wrong = runner.invoke(args=[*load, "0" * 64])
    assert wrong.exit_code == 1
    assert f"somme de contrôle incorrecte : le fichier a sha256:{digest}" in wrong.output
    assert versions_in_service(app, "regions") == []
    unreadable = runner.invoke(args=[*load, "zz"])
    assert unreadable.exit_code == 2 and "n'est pas une somme SHA-256" in unreadable.output
    assert runner.invoke(args=[*load, f"sha256:{digest.upper()}"]).exit_code == 0
    assert len(versions_in_service(app, "regions")) == 1


def test_ctrl_c_while_writing_keeps_the_previous_version(app, runner, data_dir, monkeypatch):
    assert runner.invoke(args=["load", "regions", "--quiet"]).exit_code == 0
    before = versions_in_service(app, "regions")

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(write, "_replace_rows", interrupted)
    result = runner.invoke(args=["load", "regions", regions_file(data_dir), "--quiet",
                                 "--vintage", "2030"])
    assert result.exit_code == 130
    assert "Erreur — regions : chargement interrompu (Ctrl-C). Données précédentes" in (
        result.output)
    assert versions_in_service(app, "regions") == before


@pytest.mark.postgis
def test_the_database_lost_in_the_middle_of_a_load(own_postgres, tmp_path, data_dir,
                                                  monkeypatch):
    app = make_app(own_postgres.url, tmp_path / "instance", data_dir)
    runner = app.test_cli_runner()
    try:
        assert runner.invoke(args=["load", "regions", "--quiet"]).exit_code == 0
        before = versions_in_service(app, "regions")
        replace_rows = write._replace_rows

        def lost(*args, **kwargs):
            own_postgres.stop("immediate")  # the server goes away under the transaction
            return replace_rows(*args, **kwargs)

        monkeypatch.setattr(write, "_replace_rows", lost)
        result = runner.invoke(args=["load", "regions", regions_file(data_dir), "--quiet",
                                     "--vintage", "2030"])
        assert result.exit_code == 1
        assert "Erreur — regions : base de données injoignable" in result.output
        assert "Données précédentes conservées." in result.output
        assert "Traceback" not in result.output
        own_postgres.start()
        assert versions_in_service(app, "regions") == before
    finally:
        if not own_postgres.running():
            own_postgres.start()
        close_app(app)
