"""The engine's index kept on disk (``geodata.storage.index_files``): read back, it answers
exactly as the index built from the database; a new dataset version, an unreadable file or
a folder that cannot be written never make it answer from stale or broken data."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
import shapely
from flask import Flask
from sqlalchemy import text

from app.db import index_files as index_files_setting
from geodata.eligibility import classify
from geodata.eligibility.columns import contract_frame
from geodata.policy import load_policy
from geodata.storage import index_files
from geodata.storage import reference as reader
from geodata.storage.cache import forget_versions
from geodata.storage.reference import reference_index
from loaders.pipeline import load_source

pytestmark = pytest.mark.shared_data


@pytest.fixture
def kept_in(tmp_path):
    """Indexes kept in a folder of the test's, as an app with INDEX_FILES would."""
    folder = tmp_path / "index"
    index_files.keep_indexes_in(folder)
    yield folder
    index_files.keep_indexes_in(None)


def _forget(engine) -> None:
    """What a new process starts with: no index in memory."""
    reference_index.cache.clear()
    forget_versions(engine)


def _not_from_the_database(monkeypatch) -> None:
    def refused(*args):
        raise AssertionError("index lu dans la base au lieu de son fichier")

    monkeypatch.setattr(reader, "read_qpv_layer", refused)
    monkeypatch.setattr(reader, "read_commune_layer", refused)


def _frame(index, policy, lons, lats):
    result = classify(index, policy, lons, lats, ["point"] * len(lons))
    return contract_frame(result, [str(i) for i in range(len(lons))])


@pytest.mark.parametrize("policy_name", ["ami-2019", "current"])
def test_an_index_read_back_answers_as_the_one_built(reference_engine, kept_in, monkeypatch,
                                                     policy_name):
    policy = load_policy(policy_name)
    _forget(reference_engine)
    built = reference_index(reference_engine, policy.qpv_vintage)
    assert len(list(kept_in.glob("*.pickle"))) == 1

    _forget(reference_engine)
    _not_from_the_database(monkeypatch)
    read_back = reference_index(reference_engine, policy.qpv_vintage)
    assert read_back is not built
    assert read_back.dataset_versions == built.dataset_versions
    territory = read_back.territories[next(iter(read_back.territories))]
    assert shapely.is_prepared(territory.commune_geometries).all()

    # Points over Marseille, Toulouse and Rennes (QPV of both vintages), and at random over
    # the whole of metropolitan France, with the communes, the distances and the sentences.
    rng = np.random.default_rng(2019)
    centres = np.array([(5.40, 43.33), (1.44, 43.60), (-1.68, 48.11)])
    near = centres[rng.integers(0, 3, 3000)] + rng.normal(0, 0.03, (3000, 2))
    anywhere = np.column_stack([rng.uniform(-4.8, 8.2, 2000), rng.uniform(42.3, 51.1, 2000)])
    lons, lats = np.concatenate([near, anywhere]).T
    expected = _frame(built, policy, lons, lats)
    assert expected["in_qpv"].sum() > 0 and expected["near_qpv"].sum() > expected["in_qpv"].sum()
    assert expected["category"].n_unique() >= 3
    assert _frame(read_back, policy, lons, lats).equals(expected)


@pytest.fixture
def paca(engine, data_dir):
    load_source(engine, "qpv2024-paca", data_dir=data_dir, progress=False)
    return engine


def test_a_new_dataset_version_builds_a_new_file_and_removes_the_old(paca, kept_in):
    _forget(paca)
    first = reference_index(paca, "2024")
    assert first.qpv.complete_for
    [old] = kept_in.glob("*.pickle")

    with paca.begin() as connection:  # another process's load: PACA no longer in service
        connection.execute(text(
            "UPDATE dataset_versions SET current = false WHERE source = 'qpv2024-paca'"))
    _forget(paca)
    assert reference_index(paca, "2024").qpv.complete_for == ()
    [new] = kept_in.glob("*.pickle")
    assert new != old


def test_an_unreadable_file_is_rebuilt_never_answered_from(paca, kept_in, caplog):
    _forget(paca)
    complete = reference_index(paca, "2024").qpv.complete_for
    [path] = kept_in.glob("*.pickle")
    path.write_bytes(path.read_bytes()[:1000])  # cut short, as by a full disk

    _forget(paca)
    assert reference_index(paca, "2024").qpv.complete_for == complete
    assert "index illisible, reconstruit" in caplog.text
    _forget(paca)
    assert reference_index(paca, "2024").qpv.complete_for == complete  # the file is whole again
    assert "index illisible" not in caplog.text.split("reconstruit", 1)[1]


def test_a_folder_that_cannot_be_written_leaves_the_index_working(paca, tmp_path, caplog):
    blocked = tmp_path / "fichier"
    blocked.write_text("un fichier, pas un dossier")
    index_files.keep_indexes_in(blocked / "index")
    try:
        _forget(paca)
        assert reference_index(paca, "2024").qpv.complete_for
    finally:
        index_files.keep_indexes_in(None)
    assert "index non conservé" in caplog.text
    assert "Traceback" not in caplog.text  # the operator reads one line, with the error


@pytest.mark.parametrize(("setting", "folder"), [
    (0, None), ("0", None), ("off", None), (False, None), ("false", None),
    ("/srv/index", "/srv/index"), (None, "instance/index")])
def test_the_setting_that_turns_the_kept_indexes_off(tmp_path, setting, folder):
    """``FABRIQUES_INDEX_FILES=0`` reaches the app as the number 0 (Flask reads the
    environment as JSON when it can): it meant "on, in the instance folder"."""
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    if setting is not None:
        app.config["INDEX_FILES"] = setting
    found = index_files_setting(app)
    assert found == (None if folder is None else
                     Path(folder) if folder.startswith("/") else tmp_path / folder)


def test_without_a_folder_nothing_is_written(paca, tmp_path):
    assert index_files.index_folder() is None  # the tests' default (INDEX_FILES "off")
    _forget(paca)
    reference_index(paca, "2024")
    assert not list(tmp_path.rglob("*.pickle"))


def test_grids_kept_beside_the_index_are_read_back_with_it(reference_engine, kept_in, caplog,
                                                          monkeypatch):
    """The grids a big batch built (``grid=True`` here, on a few points) are kept beside the
    index's file; the index read back takes them (not before its first grid is needed) and
    answers the same without building any; a grids file cut short is ignored (the grids are
    built again), never half-read."""
    from geodata.eligibility import layers

    policy = load_policy("current")
    rng = np.random.default_rng(7)
    lons, lats = rng.uniform(-1.0, 6.0, 2000), rng.uniform(43.0, 49.0, 2000)
    _forget(reference_engine)
    built = reference_index(reference_engine, policy.qpv_vintage)
    index_files.keep_grids(built)  # nothing built yet: nothing written
    assert not list(kept_in.glob("*.grids"))
    expected = _frame(built, policy, lons, lats)  # under GRID_MIN_POINTS: no grid
    assert not built.grids()
    classify(built, policy, lons, lats, grid=True)
    index_files.keep_grids(built)
    [grids] = kept_in.glob("*.grids")
    assert grids.name == f"{next(kept_in.glob('*.pickle')).name}.grids"

    _forget(reference_engine)
    read_back = reference_index(reference_engine, policy.qpv_vintage)
    assert not read_back.grids()  # read when first needed
    building = layers.polygon_cells
    with monkeypatch.context() as patch:
        patch.setattr(layers, "polygon_cells", lambda *args: pytest.fail("grille reconstruite"))
        gridded = classify(read_back, policy, lons, lats, grid=True)
    assert set(read_back.grids()) == set(built.grids()) == {"metropole"}
    assert contract_frame(gridded, [str(i) for i in range(len(lons))]).equals(expected)
    written = grids.stat().st_mtime_ns
    index_files.keep_grids(read_back)  # the same grids: not written again
    assert grids.stat().st_mtime_ns == written

    grids.write_bytes(grids.read_bytes()[:1000])
    _forget(reference_engine)
    again = reference_index(reference_engine, policy.qpv_vintage)
    assert layers.polygon_cells is building
    classify(again, policy, lons, lats, grid=True)
    assert "grilles illisibles, reconstruites" in caplog.text
    index_files.keep_grids(again)  # whole again
    _forget(reference_engine)
    whole = reference_index(reference_engine, policy.qpv_vintage)
    classify(whole, policy, lons[:10], lats[:10], grid=True)
    assert set(whole.grids()) == {"metropole"}
    assert caplog.text.count("grilles illisibles") == 1


def test_a_draft_left_by_a_killed_writer_is_removed_once_old_by_the_next_write(paca, kept_in):
    _forget(paca)
    reference_index(paca, "2024")
    [path] = kept_in.glob("*.pickle")
    old, young = (kept_in / f".{path.name}.{tag}.partiel" for tag in ("0a1b2c3d", "4e5f6a7b"))
    for draft in (old, young):
        draft.write_bytes(b"interrompu")
    two_hours_ago = time.time() - 2 * 3600
    os.utime(old, (two_hours_ago, two_hours_ago))
    path.unlink()  # the index is written again by the next process

    _forget(paca)
    reference_index(paca, "2024")
    assert path.exists() and not old.exists() and young.exists()
