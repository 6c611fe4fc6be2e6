"""The CSV batch writes exactly what a single check says, for every kind of row."""

from __future__ import annotations

import csv
import io
from functools import partial

import numpy as np
import pytest

from geodata.eligibility import COLUMNS, classify, verdict
from geodata.eligibility.addresses import write_file_batch
from geodata.eligibility.batch import BatchReport, classify_csv, format_value, summary, write_csv
from geodata.eligibility.chunks import opened_table
from geodata.eligibility.columns import contract_columns
from geodata.eligibility.reading import BatchError, read_locations
from geodata.eligibility.short_sentences import SHORT_LABELS
from geodata.eligibility.workers import WorkerError, WorkerPool
from geodata.policy import load_policy
from geodata.storage.reference import index_builder, reference_index

pytestmark = pytest.mark.shared_data


def sample_csv(seed: int, count: int) -> str:
    """Random points over metropolitan France, around Marseille, overseas, at sea, broken."""
    rng = np.random.default_rng(seed)
    lines = ["id;lon;lat;precision"]
    for i in range(count):
        kind = i % 5
        if kind == 0:
            lon, lat = rng.uniform(-4.8, 8.2), rng.uniform(42.3, 51.0)
        elif kind in (1, 2):
            lon, lat = 5.38 + rng.uniform(-0.1, 0.1), 43.33 + rng.uniform(-0.08, 0.08)
        elif kind == 3:
            lon, lat = 55.2 + rng.uniform(0, 0.6), -21.3 + rng.uniform(0, 0.4)
        else:
            lon, lat = rng.uniform(-40, 40), rng.uniform(-60, 60)
        precision = "commune" if i % 17 == 0 else "point"
        lines.append(f"p{i};{lon:.6f};{lat:.6f};{precision}".replace(".", ","))
    lines.append("bad;nord;43,1;point")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("policy_name", ["current", "ami-2019"])
def test_batch_rows_equal_single_verdicts(reference_engine, policy_name):
    policy = load_policy(policy_name)
    index = reference_index(reference_engine, policy.qpv_vintage)
    data = sample_csv(seed=17, count=2000)
    out = io.BytesIO()

    report = classify_csv(index, policy, data, out)

    written = list(csv.DictReader(io.StringIO(out.getvalue().decode())))
    locations = read_locations(data)
    assert len(written) == report.rows == 2001
    assert report.errors and report.errors[-1][0] == 2002  # the "nord" line
    for position in range(2000):
        result = classify(index, policy, locations.lon[[position]],
                          locations.lat[[position]], locations.precision[[position]])
        expected = verdict(result, 0, locations.ids[position]).row
        assert written[position] == {c: format_value(expected[c]) for c in COLUMNS}
    categories = {row["category"] for row in written}
    assert {"a-verifier", "hors-grands-centres-urbains"} <= categories
    assert written[-1]["error"].startswith("ligne 2002 : lon non numérique")


def test_bad_files_are_refused_whole():
    with pytest.raises(BatchError, match="fichier vide"):
        read_locations(b"")
    with pytest.raises(BatchError, match="il manque les colonnes id"):
        read_locations("identifiant,x,y\n1,2,3\n")


@pytest.mark.parametrize("policy_name", ["current", "ami-2019"])
def test_short_explanations_equal_single_checks(reference_engine, policy_name):
    """``--explications courtes``: each row's one line is the single check's."""
    policy = load_policy(policy_name)
    index = reference_index(reference_engine, policy.qpv_vintage)
    data = sample_csv(seed=23, count=1000)
    out = io.BytesIO()

    write_csv(index, policy, read_locations(data), out, short=True, chunk=300)

    written = list(csv.DictReader(io.StringIO(out.getvalue().decode())))
    locations = read_locations(data)
    labels = {category: f" : {label}" for category, label in SHORT_LABELS.items()}
    for position in range(1000):
        result = classify(index, policy, locations.lon[[position]],
                          locations.lat[[position]], locations.precision[[position]])
        expected = contract_columns(result, identifiers=[locations.ids[position]], short=True)
        assert written[position] == {c: format_value(expected[c][0]) for c in COLUMNS}
        row = written[position]
        if not row["error"]:
            assert row["explanation"].endswith(labels[row["category"]]), row
    assert written[-1]["error"].startswith("ligne 1002 : lon non numérique")


def test_two_processes_write_the_file_one_writes(reference_engine, tmp_path):
    """Byte for byte, chunks of 250 rows: the order of the input, bad rows included."""
    policy = load_policy("current")
    index = reference_index(reference_engine, policy.qpv_vintage)
    source = tmp_path / "lieux.csv"
    source.write_text(sample_csv(seed=29, count=1500), encoding="utf-8")
    written, reports = {}, {}
    for workers in (1, 2):
        out = io.BytesIO()
        with opened_table(source) as table:
            reports[workers] = write_file_batch(index, policy, table, out, short=True,
                                                workers=workers, chunk=250)
        written[workers] = out.getvalue()
    assert written[2] == written[1]
    assert reports[2] == reports[1] and reports[2].rows == 1501
    assert reports[2].errors[-1][0] == 1502
    whole = io.BytesIO()
    write_csv(index, policy, read_locations(source.read_bytes()), whole, short=True)
    assert written[2] == whole.getvalue()


def test_chunks_handed_unread_to_a_worker_come_out_as_one_process_writes_them(
        reference_engine, tmp_path):
    """A worker reads its chunks itself: one of blank lines only (no row), one that polars
    does not read (a lone carriage return: the csv module reads it), the others polars'."""
    policy = load_policy("current")
    index = reference_index(reference_engine, policy.qpv_vintage)
    lines = sample_csv(seed=41, count=40).splitlines()
    lines[10:10] = ["", ";;", " ; ; "]  # rows 10 to 12: the fourth chunk of 3 rows
    lines[20] = lines[20].replace("p", "p\r", 1)  # a line "p\r", then the rest of the row
    source = tmp_path / "lieux.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    written, reports = {}, {}
    for workers in (1, 2):
        out = io.BytesIO()
        with opened_table(source) as table:
            reports[workers] = write_file_batch(index, policy, table, out, short=True,
                                                workers=workers, chunk=3)
        written[workers] = out.getvalue()
    assert written[2] == written[1]
    assert reports[2] == reports[1] and reports[2].rows == 42
    assert any("lon" in error for _, error in reports[2].errors)  # the row "p"
    whole = io.BytesIO()
    write_csv(index, policy, read_locations(source.read_bytes()), whole, short=True)
    assert written[2] == whole.getvalue()


def test_workers_started_early_build_their_own_index_and_write_the_same_bytes(
        reference_engine, tmp_path):
    """``fabriques classify --workers 2``: the worker starts before this process has its
    index and builds its own from the same database; the file is the one a single process
    writes, byte for byte, with the full paragraph and the short line alike."""
    policy = load_policy("current")
    index = reference_index(reference_engine, policy.qpv_vintage)
    source = tmp_path / "lieux.csv"
    source.write_text(sample_csv(seed=31, count=1200), encoding="utf-8")
    for short in (True, False):
        written, reports = {}, {}
        for workers in (1, 2):
            out = io.BytesIO()
            pool = WorkerPool(1, index_builder(reference_engine, policy.qpv_vintage)) \
                if workers == 2 else None
            try:
                with opened_table(source) as table:
                    reports[workers] = write_file_batch(index, policy, table, out, short=short,
                                                        workers=workers, chunk=200, pool=pool)
            finally:
                if pool is not None:
                    pool.close()
            written[workers] = out.getvalue()
        assert written[2] == written[1]
        assert reports[2] == reports[1] and reports[2].rows == 1201


def _other_versions(engine_url: str, vintage: str):
    """A worker's index read from other dataset versions (a load came in between)."""
    from geodata.storage.database import make_engine

    index = reference_index(make_engine(engine_url), vintage)
    index.dataset_versions = ({"id": -1},)
    return index


def test_a_worker_that_read_other_data_stops_the_batch(reference_engine, tmp_path):
    policy = load_policy("current")
    index = reference_index(reference_engine, policy.qpv_vintage)
    source = tmp_path / "lieux.csv"
    source.write_text(sample_csv(seed=37, count=100), encoding="utf-8")
    url = reference_engine.url.render_as_string(hide_password=False)
    with WorkerPool(1, partial(_other_versions, url, policy.qpv_vintage)) as pool, \
            opened_table(source) as table, pytest.raises(WorkerError, match="ont changé"):
        write_file_batch(index, policy, table, io.BytesIO(), short=True, workers=2,
                         chunk=20, pool=pool)


def test_the_batch_report_agrees_each_count():
    """« 1 ligne(s) lue(s), 1 classée(s) » said the command for a file of one row: the words
    after a count are singular for 0 and 1, plural from 2."""
    one = BatchReport(rows=1, classified=0, errors=[(2, "ligne 2 : lon illisible")],
                      geocoded=1, warnings=[(2, "score faible")])
    assert list(summary(one))[:2] == [
        "1 ligne lue, 0 classée, 1 en erreur (laissée dans le fichier avec la colonne error).",
        "1 adresse géocodée, dont 1 à vérifier (colonne geocoding_warning)."]
    many = BatchReport(rows=14, classified=2, errors=[(n, "illisible") for n in range(12)],
                       geocoded=2, warnings=[(n, "score faible") for n in range(13)])
    said = list(summary(many))
    assert said[:2] == [
        "14 lignes lues, 2 classées, 12 en erreur (laissées dans le fichier avec la colonne "
        "error).", "2 adresses géocodées, dont 13 à vérifier (colonne geocoding_warning)."]
    assert "  … et 2 autres" in said and "  … et 3 autres à vérifier" in said
    assert "  … et 1 autre" in list(summary(many, errors_shown=11))
