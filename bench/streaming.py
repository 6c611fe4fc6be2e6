"""``fabriques classify`` of a big file beside a plain shapely classifier: time, output size
and memory, measured in the same run, with the machine.

    .venv/bin/python bench/streaming.py [--rows 1000000] [--policy current] [--workers 1 2]
        [--before FOLDER] [--repeat N]

The reference sources are loaded into a new SQLite file in a temporary folder. The points
are synthetic and seeded (``bench/points.py``): on land in metropolitan France, a fifth of
them near a QPV of the policy's vintage. Then, each in a new process, one after the other:

1. the baseline, ``bench/shapely_baseline.py``: the same layers in Lambert-93 STRtrees,
   containing QPV, nearest QPV and its distance, commune; no explanation;
2. ``fabriques classify --explications completes`` (the paragraph, as before);
3. ``fabriques classify`` (short explanations) with each ``--workers`` value, the index
   built in the process (``FABRIQUES_INDEX_FILES=off``), then read with its grids from the
   files a first run (not measured) kept, as the default settings do ("index gardé");
4. with ``--before FOLDER``: the command of another checkout (say, the commit before the
   streaming), for the figures before.

With ``--repeat N`` the whole sequence runs N times, interleaved, and each line keeps the
best wall time of its command (the machine may be busy with other work at any moment) and
the largest memory of its runs.

Each line gives the wall time and its ratio to the baseline's, the processor time (user
and system, the command and its workers, from ``getrusage(RUSAGE_CHILDREN)``) and its
ratio, the output's size, the largest resident set of one process (the command or one of
its workers, from ``getrusage(RUSAGE_CHILDREN)`` in a small launcher), and the peak of the
summed resident sets of the command and its workers (sampled every 50 ms; the
small launcher process that measures the largest one is counted too, about 10 MB).
``bench/classify.py`` prints the same table at the end of its run. Targets (issue « The
analysts' path »): at most 0.4 of the baseline's time, 300 MB of output, 600 MB of memory.
Figures are printed, never asserted; the machine may be shared, so compare within a run.
"""

from __future__ import annotations

import sys

# bench/http.py would shadow the standard library's http package: this folder goes to the
# end of the import path, as in bench/classify.py.
sys.path.append(sys.path.pop(0))

import argparse  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

from endtoend import ROOT, cli_command, cli_environment  # noqa: E402
from load import machine  # noqa: E402
from points import NEAR_QPV_M, NEAR_SHARE, point_sets, write_points_csv  # noqa: E402

from geodata.policy import Policy, load_policy  # noqa: E402
from geodata.storage.database import embedded_url, make_engine, upgrade  # noqa: E402
from geodata.storage.reference import reference_index  # noqa: E402
from loaders.pipeline import load_source  # noqa: E402
from loaders.registry import default_data_dir  # noqa: E402

__all__ = ["Run", "measured", "streaming_table"]

SOURCES = (
    "regions", "departements", "communes", "epci", "commune-contours", "densite",
    "qpv2015-occitanie", "qpv2015-ile-de-france-extrait", "qpv2015-ille-et-vilaine",
    "qpv2024-paca", "qpv2024-communes",
)
TARGET_RATIO = 0.4
TARGET_OUTPUT_MB = 300
TARGET_MEMORY_MB = 600
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Run:
    """One command: wall seconds, exit code, output bytes, largest process and summed
    resident sets (bytes), the end of its error output, and processor seconds."""

    seconds: float
    code: int
    output: int
    largest: int
    summed: int
    error: str
    cpu: float = 0.0


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants, from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents.setdefault(int(fields[1]), []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(parents.get(pid, ()))
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except OSError:
            continue
    return total


LAUNCHER = ("import resource, subprocess, sys; "
            "code = subprocess.call(sys.argv[2:]); "
            "used = resource.getrusage(resource.RUSAGE_CHILDREN); "
            "open(sys.argv[1], 'w').write(f'{used.ru_maxrss} {used.ru_utime + used.ru_stime}'); "
            "sys.exit(code)")
"""Runs a command and writes the largest resident set (KiB) of it and its children, and
their processor seconds: from a small process, since Linux counts in a child's figure the
memory of the process it was forked from (this bench holds the index and the points)."""


def measured(command: list[str], target: Path, environment: dict | None = None,
             cwd: Path = ROOT) -> Run:
    """Run ``command`` in a new process and measure it (``Run``)."""
    with tempfile.TemporaryDirectory() as folder:
        largest = Path(folder) / "maxrss"
        errors_path = Path(folder) / "stderr"
        with open(errors_path, "wb") as errors:
            started = time.perf_counter()
            process = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(largest), *command],
                                       env=environment, cwd=cwd, stdout=subprocess.DEVNULL,
                                       stderr=errors)
            peak = [0]
            done = threading.Event()

            def sample() -> None:
                while not done.wait(0.05):
                    peak[0] = max(peak[0], _tree_rss(process.pid))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            code = process.wait()
            seconds = time.perf_counter() - started
            done.set()
            sampler.join()
        said = errors_path.read_text(errors="replace").strip().splitlines()
        kib, cpu = largest.read_text().split() if largest.exists() else (0, 0.0)
    size = target.stat().st_size if target.exists() else 0
    return Run(seconds, code, size, int(kib) * 1024, peak[0], said[-1] if said and code else "",
               float(cpu))


def _mb(count: int) -> str:
    return f"{count / 1e6:,.0f} Mo".replace(",", "\u202f")


def streaming_table(sqlite_url: str, folder: Path, data_dir: Path, policy: Policy,
                    source: Path, rows: int, workers: tuple[int, ...] = (1, 2),
                    before: Path | None = None, repeat: int = 1) -> None:
    """Run the baseline and the commands on ``source`` (``repeat`` times, interleaved) and
    print the table."""
    target = folder / "sortie.csv"
    environment = cli_environment(sqlite_url, folder, data_dir)
    # As a user's settings keep them (the default): the index and its grids read from files
    # that a first run, not measured, writes.
    keeping = {**environment, "FABRIQUES_INDEX_FILES": str(folder / "index")}
    measured(cli_command(policy, source, target), target, keeping, ROOT)
    best: dict[str, Run] = {}

    def run(label: str, command: list[str], cwd: Path = ROOT, kept_index: bool = False) -> None:
        target.unlink(missing_ok=True)
        found = measured(command, target, keeping if kept_index else environment, cwd)
        target.unlink(missing_ok=True)
        kept = best.setdefault(label, found)
        if found.code or kept.code:
            best[label] = found if found.code else kept
            return
        largest, summed = max(kept.largest, found.largest), max(kept.summed, found.summed)
        if found.seconds < kept.seconds:
            best[label] = kept = found
        kept.largest, kept.summed = largest, summed

    for _ in range(repeat):
        _round(run, sqlite_url, policy, source, target, workers, before)
    runs = list(best.items())

    _table(runs, rows, policy, repeat)


def _round(run, sqlite_url: str, policy: Policy, source: Path, target: Path,
           workers: tuple[int, ...], before: Path | None) -> None:
    """Each command once, the baseline first."""
    run("référence shapely (STRtree, sans explication)",
        [sys.executable, str(ROOT / "bench" / "shapely_baseline.py"), sqlite_url,
         policy.qpv_vintage, str(source), str(target)])
    if before is not None:
        command = cli_command(policy, source, target)
        command[2] = f"import sys; sys.path.insert(0, {str(before)!r}); " + command[2]
        run(f"avant ({before.name}) : fabriques classify", command, cwd=before)
    run("fabriques classify --explications completes",
        cli_command(policy, source, target, "--explications", "completes"))
    for count in workers:
        run(f"fabriques classify --workers {count}",
            cli_command(policy, source, target, "--workers", str(count)))
    for count in workers:
        run(f"fabriques classify --workers {count}, index gardé",
            cli_command(policy, source, target, "--workers", str(count)), kept_index=True)


def _table(runs: list[tuple[str, Run]], rows: int, policy: Policy, repeat: int) -> None:
    baseline, baseline_cpu = runs[0][1].seconds, runs[0][1].cpu or 1.0
    shown = f"{rows:,}".replace(",", "\u202f")
    rounds = f" ; meilleure durée de {repeat} passages alternés" if repeat > 1 else ""
    print(f"\nfabriques classify de {shown} lignes (politique « {policy.name} »), chaque "
          f"commande dans un nouveau processus, dans ce même passage{rounds} :")
    print(f"  {'commande':52} {'durée':>8} {'/ réf.':>7} {'proc.':>8} {'/ réf.':>7} "
          f"{'sortie':>9} {'plus gros':>10} {'somme':>9}")
    for label, found in runs:
        if found.code:
            print(f"  {label:52} échec ({found.error})")
            continue
        print(f"  {label:52} {found.seconds:7.2f}s {found.seconds / baseline:7.2f} "
              f"{found.cpu:7.2f}s {found.cpu / baseline_cpu:7.2f} "
              f"{_mb(found.output):>9} {_mb(found.largest):>10} {_mb(found.summed):>9}")
    print(f"  cibles : ≤ {TARGET_RATIO} du temps de la référence, sortie ≤ {TARGET_OUTPUT_MB} "
          f"Mo, mémoire ≤ {TARGET_MEMORY_MB} Mo (« proc. » : temps processeur, utilisateur et "
          "système, de la commande et de ses workers ; « plus gros » : le plus gros processus, "
          "getrusage ; « somme » : la commande et ses workers, RSS additionnés, échantillonnés "
          "toutes les 50 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--policy", default="current")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--before", type=Path, default=None,
                        help="dossier d'une autre version du dépôt, pour les chiffres d'avant")
    parser.add_argument("--repeat", type=int, default=1,
                        help="passages alternés de toute la suite ; la meilleure durée gardée")
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    args = parser.parse_args()
    policy = load_policy(args.policy)

    print(f"Machine : {machine()}")
    print(f"Données : {args.data_dir} ; points synthétiques (graine {args.seed}) : "
          f"{100 * (1 - NEAR_SHARE):.0f} % uniformes sur terre en métropole, "
          f"{100 * NEAR_SHARE:.0f} % à moins de {NEAR_QPV_M:.0f} m d'un QPV "
          f"{policy.qpv_vintage}", flush=True)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        sqlite_url = embedded_url(name)
        engine = make_engine(sqlite_url)
        upgrade(engine)
        for source in SOURCES:
            load_source(engine, source, data_dir=args.data_dir, progress=False)
        index = reference_index(engine, policy.qpv_vintage)
        others = {v: reference_index(engine, v) for v in ("2024",) if v != policy.qpv_vintage}
        points = point_sets({policy.qpv_vintage: index, **others}, "2024", args.rows,
                            args.seed)[policy.qpv_vintage]
        engine.dispose()
        source = folder / "points.csv"
        write_points_csv(source, points, args.rows)
        print(f"Entrée : {_mb(source.stat().st_size)}", flush=True)
        streaming_table(sqlite_url, folder, args.data_dir, policy, source, args.rows,
                        tuple(args.workers), args.before, args.repeat)


if __name__ == "__main__":
    main()
