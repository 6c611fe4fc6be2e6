"""``fabriques classify`` of a CSV file, end to end, and where its time goes (bench/classify.py).

The command runs in a new process, as a user would run it: Python starts, the reference
layers are read from the bench's SQLite file, the index and its grids are built, the CSV is
read, classified by chunks and written. Then the same work is timed piece by piece in this
process, to show where the time goes; the figures are printed, never asserted.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from geodata.eligibility.batch import CHUNK
from geodata.eligibility.columns import contract_frame
from geodata.eligibility.engine import classify
from geodata.eligibility.reading import read_locations
from geodata.policy import Policy

__all__ = ["ROOT", "cli_command", "cli_environment", "cli_run", "pieces"]

ROOT = Path(__file__).resolve().parent.parent


def cli_environment(sqlite_url: str, folder: Path, data_dir: Path) -> dict[str, str]:
    """The environment of ``fabriques`` in a new process on the bench's SQLite file, the
    index built in the process (no kept index file)."""
    return dict(os.environ, FABRIQUES_DATABASE_URL=sqlite_url,
                FABRIQUES_INSTANCE_PATH=str(folder / "instance"),
                FABRIQUES_DATA_DIR=str(data_dir),
                FABRIQUES_INDEX_FILES="off")  # the index built, as said above


def cli_command(policy: Policy, source: Path, target: Path, *options: str) -> list[str]:
    """``fabriques classify SOURCE -o TARGET --quiet --policy NAME [options]``."""
    return [sys.executable, "-c", "import sys; from app.cli import main; sys.exit(main())",
            "classify", str(source), "-o", str(target), "--quiet", "--policy", policy.name,
            *options]


def cli_run(sqlite_url: str, folder: Path, data_dir: Path, policy: Policy, source: Path,
            target: Path) -> tuple[float, str | None]:
    """(wall seconds, error or None) of ``fabriques classify SOURCE -o TARGET`` in a new
    process on the bench's SQLite file."""
    started = time.perf_counter()
    done = subprocess.run(cli_command(policy, source, target),
                          env=cli_environment(sqlite_url, folder, data_dir),
                          capture_output=True, text=True, cwd=ROOT, check=False)
    seconds = time.perf_counter() - started
    if done.returncode:
        return seconds, (done.stderr or done.stdout).strip().splitlines()[-1]
    return seconds, None


def pieces(index, policy: Policy, source: Path, target: Path,
           short: bool = False) -> dict[str, float]:
    """Seconds of each piece of the command's work, in this process, one after the other
    (the command writes a chunk while it classifies the next): reading, the engine, the
    contract's columns as a polars frame and writing them by chunks of CHUNK; plus the mean
    length of an explanation."""
    found = dict.fromkeys(("read", "engine", "columns", "write", "chars"), 0.0)
    started = time.perf_counter()
    locations = read_locations(source.read_bytes())
    found["read"] = time.perf_counter() - started
    with open(target, "wb") as output:
        for start in range(0, len(locations.ids), CHUNK):
            stop = min(start + CHUNK, len(locations.ids))
            began = time.perf_counter()
            result = classify(index, policy, locations.lon[start:stop],
                              locations.lat[start:stop], locations.precision[start:stop])
            found["engine"] += time.perf_counter() - began
            began = time.perf_counter()
            frame = contract_frame(result, locations.ids[start:stop], short=short)
            found["columns"] += time.perf_counter() - began
            found["chars"] += frame["explanation"].str.len_chars().sum()
            began = time.perf_counter()
            frame.write_csv(output, include_header=start == 0)
            found["write"] += time.perf_counter() - began
            del frame
    target.unlink(missing_ok=True)
    found["chars"] /= max(len(locations.ids), 1)
    found["rows"] = float(len(locations.ids))
    return found
