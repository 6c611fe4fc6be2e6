"""The ``fabriques`` commands through Flask's CLI runner, on both backends."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app.db import get_engine
from geodata.storage.database import upgrade
from geodata.storage.models import DatasetVersion, Qpv
from geodata.territories import TERRITORIES
from loaders.registry import SOURCES, get_source
from tests.loaders.conftest import qpv_contours  # noqa: F401 - the outlines of QPV communes
from tests.support import close_app, make_app

pytestmark = pytest.mark.shared_data


def count(app, model):
    with app.app_context(), get_engine().connect() as connection:
        return connection.scalar(select(func.count()).select_from(model))


def test_load_one_source_prints_its_report(app, runner):
    result = runner.invoke(args=["load", "qpv2024-paca", "--quiet"])

    assert result.exit_code == 0, result.output
    assert "qpv2024-paca (2024) : chargé — 135 qpv" in result.output
    assert count(app, Qpv) == 135


def sql_cache(app) -> dict[tuple[str, str], object]:
    """``fabriques_classify``'s cache (PostGIS): when each vintage and territory was computed."""
    with app.app_context(), get_engine().connect() as connection:
        return dict(((vintage, territory), computed) for vintage, territory, computed in
                    connection.execute(text(
                        "SELECT vintage, territory, computed_at "
                        "FROM fabriques_internal.qpv_complete_areas")))


def test_a_load_in_postgis_ends_with_the_sql_cache_ready(app, runner, backend):
    result = runner.invoke(args=["load", "qpv2024-paca", "--quiet"])

    assert result.exit_code == 0, result.output
    if backend == "sqlite":
        assert "Classification SQL" not in result.output
        return
    assert "Classification SQL prête pour les QPV 2024 (" in result.output
    cached = sql_cache(app)
    assert {key[0] for key in cached} == {"2024"}
    assert {key[1] for key in cached} == set(TERRITORIES)

    again = runner.invoke(args=["load", "qpv2024-paca", "--quiet"])

    assert again.exit_code == 0 and " : inchangé" in again.output
    assert "Classification SQL" not in again.output  # nothing loaded: nothing computed
    assert runner.invoke(args=["db", "cache-sql"]).exit_code == 0
    assert sql_cache(app) == cached  # the load had left it up to date


@pytest.mark.postgis
def test_a_cache_that_cannot_be_computed_leaves_the_load_done(postgis_url, tmp_path, data_dir):
    app = make_app(postgis_url, tmp_path / "instance", data_dir)
    try:
        with app.app_context():
            upgrade(get_engine())
            with get_engine().begin() as connection:
                connection.execute(text(  # the views of 0016 go with it
                    "DROP FUNCTION fabriques_qpv_complete_areas(text) CASCADE"))

        result = app.test_cli_runner().invoke(args=["load", "qpv2024-paca", "--quiet"])

        assert result.exit_code == 0, result.output
        assert "qpv2024-paca (2024) : chargé — 135 qpv" in result.output
        assert "Attention — cache de la classification SQL non calculé : " in result.output
        assert "fabriques_qpv_complete_areas" in result.output  # PostgreSQL's reason
        assert "« fabriques db cache-sql » calculera le cache" in result.output
        assert count(app, Qpv) == 135
    finally:
        close_app(app)


def test_unknown_source_is_a_usage_error(runner):
    result = runner.invoke(args=["load", "qpv2030", "--quiet"])

    assert result.exit_code == 2
    assert "source inconnue : 'qpv2030'" in result.output
    assert "qpv2024-paca" in result.output  # lists the known ones


def test_bad_file_exits_non_zero_and_keeps_previous_data(app, runner, tmp_path):
    runner.invoke(args=["load", "qpv2024-paca", "--quiet"])
    broken = tmp_path / "vide.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [')

    result = runner.invoke(args=["load", "qpv2024-paca", str(broken), "--quiet"])

    assert result.exit_code == 1
    assert "vide.geojson" in result.output and "Données précédentes conservées" in result.output
    assert count(app, Qpv) == 135


@pytest.mark.slow
def test_load_demo_loads_every_source_then_changes_nothing(app, runner, backend):
    first = runner.invoke(args=["load", "demo", "--quiet"])

    assert first.exit_code == 0, first.output
    for name in SOURCES:
        assert f"{name} (" in first.output
    assert first.output.count(" : chargé — ") == len(SOURCES)
    prepared = first.output.count("Classification SQL prête pour les QPV ")
    assert prepared == (0 if backend == "sqlite" else 2)  # once, after every source
    if backend == "postgis":
        assert {key[0] for key in sql_cache(app)} == {"2015", "2024"}
    versions = count(app, DatasetVersion)
    assert versions == len(SOURCES)

    with app.app_context(), get_engine().connect() as connection:
        proven = dict(connection.execute(
            select(DatasetVersion.source, DatasetVersion.complete_for)
            .where(DatasetVersion.dataset == "qpv")).all())
    assert proven["qpv2024-paca"] == {"scope": "regions", "codes": ["93"]}
    assert proven["qpv2015-occitanie"] == {"scope": "regions", "codes": ["76"]}

    second = runner.invoke(args=["load", "demo", "--quiet"])

    assert second.exit_code == 0, second.output
    assert second.output.count(" : inchangé") == len(SOURCES)
    assert "Classification SQL" not in second.output
    assert count(app, DatasetVersion) == versions


def test_datasets_lists_what_is_loaded(runner):
    runner.invoke(args=["db", "upgrade"])
    assert "Aucune donnée chargée" in runner.invoke(args=["datasets"]).output
    runner.invoke(args=["load", "qpv2024-paca", "--quiet"])
    listed = runner.invoke(args=["datasets"]).output
    assert "135 qpv" in listed
    assert listed.startswith("Données en service (chargées le …, heure de Paris) :\n")
    source = get_source("qpv2024-paca")  # the licence and origin, as the README says
    assert f"licence : {source.licence} ; origine : {source.url}" in listed


def test_a_database_that_does_not_answer_is_said_in_one_line(tmp_path):
    """``fabriques check`` on a server that is down ended in a traceback (exit 0)."""
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    answer = subprocess.run(
        [str(Path(sys.executable).parent / "fabriques"), "check", "--lon", "5.38", "--lat",
         "43.30"], capture_output=True, text=True, timeout=120,
        env={**os.environ, "FABRIQUES_INSTANCE_PATH": str(tmp_path),
             "FABRIQUES_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{port}/x"})
    assert answer.returncode == 1
    assert answer.stderr.startswith("Erreur — base de données injoignable : ")
    assert "Traceback" not in answer.stderr


def test_commands_that_answer_from_data_refuse_to_answer_without_any(runner, tmp_path):
    """« à vérifier, région inconnue », a table of zeros: they read as answers."""
    runner.invoke(args=["db", "upgrade"])
    points = tmp_path / "points.csv"
    points.write_text("id,lon,lat\n1,5.38,43.30\n", encoding="utf-8")
    for args in (["check", "--lon", "5.38", "--lat", "43.30"], ["quotas"],
                 ["classify", str(points), "-o", str(tmp_path / "out.csv"), "--quiet"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1, args
        assert "aucune donnée chargée" in result.output and "fabriques load demo" in \
            result.output, args
    assert not (tmp_path / "out.csv").exists()


@pytest.fixture
def facts(runner, qpv_contours):  # noqa: F811 - the fixture imported above
    """The facts a QPV layer is proven by, loaded through the command."""
    for args in (["departements"], ["qpv2024-communes"], ["commune-contours", qpv_contours]):
        result = runner.invoke(args=["load", *map(str, args), "--quiet"])
        assert result.exit_code == 0, result.output
    return runner


def ten_paca_qpv(data_dir, tmp_path):
    """Synthetic alteration of real data: the first 10 of the 135 PACA QPV."""
    document = json.loads((data_dir / "qpv/qpv2024_paca_carto_sante.geojson").read_text())
    document["features"] = document["features"][:10]
    path = tmp_path / "dix.geojson"
    path.write_text(json.dumps(document))
    return str(path)


def test_a_layer_missing_qpv_is_refused_then_forced_as_partial(app, facts, client, data_dir,
                                                                tmp_path):
    assert facts.invoke(args=["load", "qpv2024-paca", "--quiet"]).exit_code == 0
    ten = ten_paca_qpv(data_dir, tmp_path)

    refused = facts.invoke(args=["load", "qpv2024-paca", ten, "--quiet"])

    assert refused.exit_code == 1
    assert "Erreur — qpv2024-paca" in refused.output and "fichier refusé" in refused.output
    assert "125 des 135 quartiers" in refused.output and "(ex. QN00607M" in refused.output
    assert "Données précédentes conservées" in refused.output
    assert count(app, Qpv) == 135
    # no list of régions loaded here: the code is said to be a région's
    assert "complet pour la région de code Insee 93" in facts.invoke(args=["datasets"]).output

    forced = facts.invoke(args=["load", "qpv2024-paca", ten, "--force", "--quiet"])

    assert forced.exit_code == 0, forced.output
    assert "complétude : partiel, chargé de force (--force) : 125 des 135" in forced.output
    assert count(app, Qpv) == 10
    listed = facts.invoke(args=["datasets"]).output
    assert "partiel : complet nulle part ; le registre annonce « complet pour la région de " \
        "code Insee 93 » ; chargé de force : 125 des 135 quartiers" in listed
    (paca,) = [d for d in client.get("/api/v1/datasets").json["datasets"]
               if d["source"] == "qpv2024-paca"]
    assert paca["complete_for"]["forced"] is True and paca["complete_for"]["scope"] == "none"
    assert "125 des 135" in paca["counts"]["checks"]["forced"][0]


def test_a_qpv_layer_coverage_is_named_by_its_region(facts):
    # « 93 » is both Provence-Alpes-Côte d'Azur and Seine-Saint-Denis: the COG's régions,
    # loaded first (as in the demo), name it in the load's report and in the list
    assert facts.invoke(args=["load", "regions", "--quiet"]).exit_code == 0

    loaded = facts.invoke(args=["load", "qpv2024-paca"]).output

    paca = "la région Provence-Alpes-Côte d'Azur (93)"
    assert f"complétude : complet pour {paca}, prouvé : les 135 quartiers que la liste " \
        f"officielle « qpv2024-communes » nomme dans {paca} sont tous au fichier" in loaded
    assert "région 93" not in loaded
    listed = facts.invoke(args=["datasets"]).output
    assert f"complet pour {paca}" in listed and "région 93" not in listed


def test_force_is_not_for_the_demo(runner):
    result = runner.invoke(args=["load", "demo", "--force"])

    assert result.exit_code == 2 and "sans chemin ni option" in result.output


def test_the_sql_cache_command(runner, backend):
    runner.invoke(args=["db", "upgrade"])
    result = runner.invoke(args=["db", "cache-sql"])
    if backend == "sqlite":
        assert result.exit_code == 1
        assert "demande PostGIS" in result.output
        return
    assert result.exit_code == 0, result.output
    assert "Aucun millésime de QPV chargé" in result.output
    runner.invoke(args=["load", "qpv2024-paca", "--quiet"])
    result = runner.invoke(args=["db", "cache-sql"])
    assert result.exit_code == 0, result.output
    assert "Classification SQL prête pour les QPV 2024 (" in result.output


def test_a_schema_upgrade_in_postgis_ends_with_the_sql_cache_ready(app, runner, backend):
    """After ``db upgrade`` from an older schema, the analysts' first ``fabriques_classify``
    waited for the whole cache (47 s seen): the upgrade computes it, as a load does."""
    from alembic import command

    from geodata.storage.database import _alembic_config as alembic_config

    assert runner.invoke(args=["load", "qpv2024-paca", "--quiet"]).exit_code == 0
    with app.app_context():
        command.downgrade(alembic_config(get_engine()), "-1")
        if backend == "postgis":
            with get_engine().begin() as connection:
                connection.execute(text("DELETE FROM fabriques_internal.qpv_complete_areas"))
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "Schéma mis à jour (migration " in result.output
    if backend == "sqlite":
        assert "Classification SQL" not in result.output
        return
    assert "calcul de son cache après la mise à jour du schéma" in result.output
    assert "Classification SQL prête pour les QPV 2024 (" in result.output
    assert {key[0] for key in sql_cache(app)} == {"2024"}
