"""The ``fabriques`` commands through Flask's CLI runner, on both backends."""

import pytest
from sqlalchemy import func, select

from app.db import get_engine
from geodata.storage.models import DatasetVersion, Qpv
from loaders.registry import SOURCES

pytestmark = pytest.mark.shared_data


def count(app, model):
    with app.app_context(), get_engine().connect() as connection:
        return connection.scalar(select(func.count()).select_from(model))


def test_load_one_source_prints_its_report(app, runner):
    result = runner.invoke(args=["load", "qpv2024-paca", "--quiet"])

    assert result.exit_code == 0, result.output
    assert "qpv2024-paca (2024) : chargé — 135 qpv" in result.output
    assert count(app, Qpv) == 135


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
def test_load_demo_loads_every_source_then_changes_nothing(app, runner):
    first = runner.invoke(args=["load", "demo", "--quiet"])

    assert first.exit_code == 0, first.output
    for name in SOURCES:
        assert f"{name} (" in first.output
    assert first.output.count(" : chargé — ") == len(SOURCES)
    versions = count(app, DatasetVersion)
    assert versions == len(SOURCES)

    second = runner.invoke(args=["load", "demo", "--quiet"])

    assert second.exit_code == 0, second.output
    assert second.output.count(" : inchangé") == len(SOURCES)
    assert count(app, DatasetVersion) == versions


def test_datasets_lists_what_is_loaded(runner):
    runner.invoke(args=["db", "upgrade"])
    assert "Aucune donnée chargée" in runner.invoke(args=["datasets"]).output
    runner.invoke(args=["load", "qpv2024-paca", "--quiet"])
    assert "135 qpv" in runner.invoke(args=["datasets"]).output
