"""``fabriques classify`` of a CSV file, end to end, and where its time goes (bench/classify.py).

The command runs in a new process, as a user would run it: Python starts, the reference
layers are read from the bench's SQLite file, the index and its grids are built, the CSV is
read, classified by chunks and written. Then the same work is timed piece by piece in this
process, to show where the time goes; the figures are printed, never asserted.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

from geodata.eligibility.batch import CHUNK, read_locations
from geodata.eligibility.columns import COLUMNS, contract_columns
from geodata.eligibility.engine import classify
from geodata.policy import Policy

__all__ = ["cli_run", "pieces"]

BOOLEAN_COLUMNS = ("metropole", "in_qpv", "near_qpv", "outside_large_urban_centre")
BOOLEAN_TEXT = {True: "true", False: "false", None: ""}


def cli_run(sqlite_url: str, folder: Path, data_dir: Path, policy: Policy, source: Path,
            target: Path) -> tuple[float, str | None]:
    """(wall seconds, error or None) of ``fabriques classify SOURCE -o TARGET`` in a new
    process on the bench's SQLite file."""
    environment = dict(os.environ, FABRIQUES_DATABASE_URL=sqlite_url,
                       FABRIQUES_INSTANCE_PATH=str(folder / "instance"),
                       FABRIQUES_DATA_DIR=str(data_dir))
    command = [sys.executable, "-c", "import sys; from app.cli import main; sys.exit(main())",
               "classify", str(source), "-o", str(target), "--quiet", "--policy", policy.name]
    started = time.perf_counter()
    done = subprocess.run(command, env=environment, capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, check=False)
    seconds = time.perf_counter() - started
    if done.returncode:
        return seconds, (done.stderr or done.stdout).strip().splitlines()[-1]
    return seconds, None


def _write(path: Path, columns: dict[str, list]) -> float:
    """Seconds to write the contract's rows with the csv module, as the command does."""
    for name in BOOLEAN_COLUMNS:
        columns[name] = [BOOLEAN_TEXT[value] for value in columns[name]]
    started = time.perf_counter()
    with open(path, "a", encoding="utf-8", newline="") as output:
        csv.writer(output, lineterminator="\n").writerows(
            zip(*(columns[name] for name in COLUMNS), strict=True))
    return time.perf_counter() - started


def pieces(index, policy: Policy, source: Path, target: Path) -> dict[str, float]:
    """Seconds of each piece of the command's work, in this process, by chunks of CHUNK:
    reading, the engine, the contract's columns (full and brief explanations) and writing
    them; plus the mean length of an explanation in each wording."""
    found = {"read": 0.0, "engine": 0.0}
    started = time.perf_counter()
    locations = read_locations(source.read_bytes())
    found["read"] = time.perf_counter() - started
    for wording in ("full", "brief"):
        found[f"columns {wording}"] = found[f"write {wording}"] = found[f"chars {wording}"] = 0
    target.unlink(missing_ok=True)
    for start in range(0, len(locations.ids), CHUNK):
        stop = min(start + CHUNK, len(locations.ids))
        began = time.perf_counter()
        result = classify(index, policy, locations.lon[start:stop], locations.lat[start:stop],
                          locations.precision[start:stop])
        found["engine"] += time.perf_counter() - began
        for wording in ("full", "brief"):
            began = time.perf_counter()
            columns = contract_columns(result, identifiers=locations.ids[start:stop],
                                       brief=wording == "brief")
            found[f"columns {wording}"] += time.perf_counter() - began
            found[f"chars {wording}"] += sum(map(len, columns["explanation"]))
            found[f"write {wording}"] += _write(target.with_suffix(f".{wording}.csv"), columns)
            del columns
    for wording in ("full", "brief"):
        found[f"chars {wording}"] /= max(len(locations.ids), 1)
        target.with_suffix(f".{wording}.csv").unlink(missing_ok=True)
    found["rows"] = float(len(locations.ids))
    return found
