"""Time the load of every shared dataset on both backends, and say which machine ran it.

    .venv/bin/python bench/load.py [--postgis-url postgresql+psycopg://postgres@127.0.0.1/postgres]

The embedded backend gets a new SQLite file in a temporary folder; PostGIS gets a throwaway
database ``fabriques_bench`` (dropped at the end) on the server of ``--postgis-url``.
Each source is loaded once into an empty database (cold, with validation and writing) and a
second time (the "unchanged" check). Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from geodata.storage.database import embedded_url, make_engine, upgrade
from loaders.pipeline import load_source
from loaders.registry import SOURCES, default_data_dir


def machine() -> str:
    """CPU model, cores, memory, OS and Python of this machine."""
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory_kb = next(
            int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{memory_kb / 1024 / 1024:.0f} GiB"
    except OSError:
        memory = "?"
    return (f"{cpu}, {os.cpu_count()} cœurs, {memory} de mémoire, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")


def bench(url: str, data_dir: Path) -> list[tuple[str, float, float, str]]:
    engine = make_engine(url)
    upgrade(engine)
    rows = []
    for name in SOURCES:
        started = time.perf_counter()
        report = load_source(engine, name, data_dir=data_dir, progress=False)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        load_source(engine, name, data_dir=data_dir, progress=False)
        unchanged = time.perf_counter() - started
        loaded = ", ".join(f"{n} {t}" for t, n in report.loaded.items())
        rows.append((name, cold, unchanged, loaded))
    engine.dispose()
    return rows


def print_table(title: str, rows) -> None:
    print(f"\n{title}")
    print(f"  {'source':32} {'chargement':>11} {'inchangé':>9}  lignes")
    for name, cold, unchanged, loaded in rows:
        print(f"  {name:32} {cold:10.2f}s {unchanged:8.3f}s  {loaded}")
    print(f"  {'total':32} {sum(r[1] for r in rows):10.2f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgis-url",
                        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    args = parser.parse_args()

    print(f"Machine : {machine()}")
    print(f"Données : {args.data_dir}")
    with tempfile.TemporaryDirectory() as folder:
        print_table("Base embarquée (SQLite)", bench(embedded_url(folder), args.data_dir))

    admin_url = make_url(args.postgis_url)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        version = connection.scalar(text("SHOW server_version"))
        connection.execute(text("DROP DATABASE IF EXISTS fabriques_bench WITH (FORCE)"))
        connection.execute(text("CREATE DATABASE fabriques_bench"))
    try:
        bench_url = admin_url.set(database="fabriques_bench").render_as_string(False)
        print_table(f"PostgreSQL {version} + PostGIS", bench(bench_url, args.data_dir))
    finally:
        with admin.connect() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS fabriques_bench WITH (FORCE)"))
        admin.dispose()


if __name__ == "__main__":
    main()
