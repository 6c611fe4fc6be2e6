"""Time the eligibility classification on the real layers, and say which machine ran it.

    .venv/bin/python bench/classify.py [--sizes 100000 1000000] [--quick]
        [--postgis-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

The reference sources the engine needs are loaded into a new SQLite file in a temporary
folder and into a throwaway PostGIS database ``fabriques_bench_classify`` (dropped at the
end). Seeded points on land (inside the metropolitan commune contours), a fifth of them
within 1 km of a real QPV outline, are classified under each shipped policy by:

1. the engine (``classify``: the verdict), the index being built once beforehand;
2. the engine plus the contract's rows with their explanations (``verdict.rows``);
3. a plain geopandas pipeline computing the same facts (commune, containing QPV, nearest QPV
   and distance, density level, métropole), without any completeness logic: the baseline;
4. the set-based SQL function of PostGIS (``classify_sql``), in chunks of 100,000 points.

Then ``fabriques classify`` itself runs in a new process on a CSV file of points (end to end:
start-up, index, reading, classification, writing; ``bench/endtoend.py``), and the same work
is timed piece by piece; then beside a plain shapely classifier of the same file, with the
full and short explanations and one or two processes: time, output size, memory
(``bench/streaming.py``). Every figure is printed next to its target with "atteinte" or "non
atteinte"; nothing is asserted. Run it on a quiet machine: the figures are wall-clock times.
"""

from __future__ import annotations

import sys

# bench/http.py would shadow the standard library's http package (imported by pyproj and
# requests): this folder goes to the end of the import path, its modules still importable.
sys.path.append(sys.path.pop(0))

import argparse
import gc
import platform
import tempfile
import time
from collections import Counter
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from baselines import (  # bench/baselines.py, next to this file
    SQL_TABLE_SIZE,
    agreement,
    create_bench_database,
    drop_bench_database,
    geopandas_layers,
    geopandas_pipeline,
    postgis_run,
    postgis_table_run,
    postgis_versions,
    postgis_view_times,
    sql_category_agreement,
    sql_classifier,
    sql_table_targets,
)
from endtoend import cli_run, pieces  # bench/endtoend.py, next to this file
from figures import best_of, number, percent, rate, timed, verdict_on  # bench/figures.py
from load import machine  # bench/load.py, next to this file
from points import NEAR_QPV_M, NEAR_SHARE, point_sets, write_points_csv  # bench/points.py
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from streaming import streaming_table  # bench/streaming.py, next to this file

from geodata.eligibility.batch import CHUNK
from geodata.eligibility.engine import GRID_MIN_POINTS, TRUE, UNKNOWN, classify
from geodata.eligibility.verdict import rows
from geodata.policy import load_policy
from geodata.storage.database import embedded_url, make_engine, upgrade
from geodata.storage.reference import reference_index
from geodata.storage.sql_classification import prepare_sql_classification
from loaders.pipeline import load_source
from loaders.registry import default_data_dir

SOURCES = (
    "regions", "departements", "communes", "epci", "commune-contours", "densite",
    "qpv2015-occitanie", "qpv2015-ile-de-france-extrait", "qpv2015-ille-et-vilaine",
    "qpv2024-paca", "qpv2024-communes", "laureates",
)
"""The reference sources the engine reads, and the laureates (the SQL views classify them)."""
POLICIES = ("current", "ami-2019")
POLICY_VINTAGES = {name: load_policy(name).qpv_vintage for name in POLICIES}
SIZES = (100_000, 1_000_000)
QUICK_SIZE = 20_000
REPEAT_UP_TO = 100_000

TARGET_RATE = 250_000
TARGET_RATIO = 3.0
TARGET_CSV_S = 15.0
TARGET_CSV_ROWS = 1_000_000
TARGET_VIEW_S = 0.1


# --------------------------------------------------------------------------- data loading


def load_sources(url: str, data_dir: Path) -> float:
    """Migrate and load the reference sources; the seconds the loads took."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        started = time.perf_counter()
        for name in SOURCES:
            load_source(engine, name, data_dir=data_dir, progress=False)
        return time.perf_counter() - started
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- report


def describe(result) -> str:
    n = len(result)
    categories = Counter(result.category.tolist())
    shares = ", ".join(f"{c} {percent(k, n)}" for c, k in sorted(categories.items()))
    inside = int(np.sum(result.in_qpv == TRUE))
    near = int(np.sum(result.near_qpv == TRUE))
    unknown = int(np.sum(result.near_qpv == UNKNOWN))
    return (f"dans un QPV {percent(inside, n)}, à ≤ {result.policy.proximity_m:.0f} m "
            f"{percent(near, n)}, proximité inconnue {percent(unknown, n)} ; {shares}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES),
                        help="nombres de points (défaut : 100000 1000000)")
    parser.add_argument("--quick", action="store_true",
                        help=f"essai rapide : {QUICK_SIZE} points seulement")
    parser.add_argument("--csv-rows", type=int, default=None,
                        help="lignes du CSV de bout en bout (défaut : la plus grande taille)")
    parser.add_argument("--budget", type=float, default=300.0,
                        help="secondes au-delà desquelles une mesure lente n'est pas lancée")
    parser.add_argument("--repeat", type=int, default=3,
                        help="mesures du moteur et de geopandas répétées (meilleure gardée) "
                             f"jusqu'à {number(REPEAT_UP_TO)} points")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--postgis-url",
                        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    args = parser.parse_args()
    sizes = [QUICK_SIZE] if args.quick else sorted(set(args.sizes))
    csv_rows = args.csv_rows or max(sizes)
    policies = {name: load_policy(name) for name in POLICIES}

    print(f"Machine : {machine()}")
    print(f"Logiciels : Python {platform.python_version()}, numpy {np.__version__}, "
          f"shapely {shapely.__version__} (GEOS {shapely.geos_version_string}), "
          f"geopandas {gpd.__version__}, pandas {pd.__version__}, pyproj {pyproj.__version__} "
          f"(PROJ {pyproj.proj_version_str})")
    print(f"Données : {args.data_dir} ({len(SOURCES)} sources : {', '.join(SOURCES)})")
    print(f"Cibles (issue) : verdict complet ≥ {number(TARGET_RATE)} points/s ; "
          f"≥ {TARGET_RATIO:.0f}× le pipeline geopandas ; fabriques classify de "
          f"{number(TARGET_CSV_ROWS)} lignes en < {TARGET_CSV_S:.0f} s")
    sys.stdout.flush()

    admin_url = make_url(args.postgis_url)
    pg_engine = pg_note = None
    with tempfile.TemporaryDirectory() as folder:
        sqlite_url = embedded_url(folder)
        seconds = load_sources(sqlite_url, args.data_dir)
        print(f"\nChargement des sources : SQLite {seconds:.1f} s", end="", flush=True)
        try:
            pg_url = create_bench_database(admin_url)
            seconds = load_sources(pg_url, args.data_dir)
            # A statement running longer than the budget is cancelled (reported, not fatal).
            pg_engine = create_engine(pg_url, connect_args={
                "options": f"-c statement_timeout={int(args.budget * 1000)}"})
            with pg_engine.begin() as connection:
                connection.execute(text("ANALYZE"))  # fresh statistics, as autovacuum would
            print(f", PostGIS {seconds:.1f} s (puis ANALYZE) — {postgis_versions(pg_engine)}")
        except Exception as error:  # noqa: BLE001 - the PostGIS column is optional
            pg_note = f"indisponible ({type(error).__name__} : {str(error).splitlines()[0]})"
            print(f", PostGIS {pg_note}")
        try:
            run(args, sizes, csv_rows, policies, sqlite_url, pg_engine, pg_note, Path(folder))
        finally:
            if pg_engine is not None:
                pg_engine.dispose()
            try:
                drop_bench_database(admin_url)
            except Exception:  # noqa: BLE001 - no server: nothing to drop
                pass


def run(args, sizes, csv_rows, policies, sqlite_url, pg_engine, pg_note, folder: Path) -> None:
    sqlite_engine = make_engine(sqlite_url)
    indexes, index_seconds = {}, {}
    print("\nIndex du moteur (une fois par millésime, hors des mesures) :")
    for vintage in sorted(set(POLICY_VINTAGES.values())):
        index_seconds[vintage], indexes[vintage] = timed(reference_index, sqlite_engine, vintage)
        line = (f"  QPV {vintage} : lecture SQLite et construction {index_seconds[vintage]:.2f} s "
                f"({len(indexes[vintage].qpv.codes)} QPV, "
                f"{number(len(indexes[vintage].communes.codes))} communes)")
        if pg_engine is not None:
            seconds, _ = timed(reference_index, pg_engine, vintage)
            line += f" ; depuis PostGIS {seconds:.2f} s"
        print(line, flush=True)

    largest = max(max(sizes), csv_rows)
    seconds, sets = timed(point_sets, indexes, POLICY_VINTAGES[POLICIES[0]], largest,
                          args.seed)
    print(f"\nPoints ({seconds:.1f} s pour {number(largest)} par millésime, graine {args.seed}) : "
          f"{100 * (1 - NEAR_SHARE):.0f} % tirés uniformément en Lambert-93 (EPSG:2154) dans "
          "l'emprise de la métropole et gardés s'ils sont dans un contour communal (donc sur "
          f"terre, Corse comprise) ; {100 * NEAR_SHARE:.0f} % à moins de {number(NEAR_QPV_M)} m "
          "(dedans compris) du contour d'un QPV du millésime de la politique, tiré au hasard "
          "parmi ses QPV métropolitains (uniforme dans son emprise élargie, gardé à moins de "
          f"{number(NEAR_QPV_M)} m et sur terre). Mêmes points terrestres pour les deux "
          "politiques, ordre mélangé ; chaque taille prend le début de la série.")
    for vintage, points in sets.items():
        print(f"  QPV {vintage} : {points.qpv_outlines} contours QPV en métropole")
    print(f"\nGrilles de cellules du moteur (construites au premier lot d'au moins "
          f"{number(GRID_MIN_POINTS)} points d'un territoire, gardées avec l'index ; hors des "
          "mesures, comptées dans fabriques classify) :")
    for name, policy in policies.items():
        points = sets[policy.qpv_vintage]
        seconds, _ = timed(classify, indexes[policy.qpv_vintage], policy,
                           points.lon[:GRID_MIN_POINTS], points.lat[:GRID_MIN_POINTS])
        print(f"  {name} : premier lot de {number(GRID_MIN_POINTS)} points, grilles comprises, "
              f"{seconds:.2f} s", flush=True)

    print("\nGeopandas : référence qui en fait moins (commune, QPV contenant, QPV le plus proche "
          "dans le rayon et distance, niveau de densité, métropole, proche = distance ≤ D), sans "
          "logique de complétude ni réponses à trois valeurs ni explications ; couches projetées "
          "et arbres construits avant la mesure.")
    layers = {v: geopandas_layers(index) for v, index in indexes.items()}
    classify_sql, sql_note = (None, pg_note) if pg_engine is None else sql_classifier()
    if classify_sql is not None:
        print("\nPostGIS : préparation de fabriques_classify (fabriques db cache-sql : cache des "
              "zones complètes, morceaux et carrés, puis VACUUM des carrés) :")
        try:
            seconds, done = timed(prepare_sql_classification, pg_engine)
            print(f"  QPV {', '.join(vintage for vintage, _ in done)} : {seconds:.2f} s",
                  flush=True)
        except Exception as error:  # noqa: BLE001 - the PostGIS column is optional
            classify_sql = None
            sql_note = f"erreur ({type(error).__name__} : {str(error).splitlines()[0]})"
            print(f"  {sql_note}")

    summary: dict = {}
    rows_rate: dict[str, float] = {}
    sql_rate: dict[str, float] = {}
    for size in sizes:
        for name, policy in policies.items():
            points = sets[policy.qpv_vintage]
            lon, lat = points.lon[:size], points.lat[:size]
            index = indexes[policy.qpv_vintage]
            print(f"\nN = {number(size)} points, politique « {name} » (QPV {policy.qpv_vintage}, "
                  f"D = {policy.proximity_m:.0f} m, rayon {number(policy.search_radius_m)} m ; "
                  f"index {index_seconds[policy.qpv_vintage]:.2f} s, non compté)", flush=True)
            repeat = args.repeat if size <= REPEAT_UP_TO else 1
            runs = f" (meilleure de {repeat} mesures)" if repeat > 1 else ""
            classify(index, policy, lon[:100], lat[:100])  # warm-up (projection objects)
            engine_s, result = best_of(repeat, classify, index, policy, lon, lat)
            print(f"  1. moteur, verdict               {engine_s:8.2f} s {rate(size, engine_s)}"
                  f"{runs}", flush=True)
            print(f"     {describe(result)}")

            projected = size / rows_rate[name] if name in rows_rate else 0.0
            if projected > args.budget:
                print(f"  2. moteur + lignes du contrat    non mesuré : projection "
                      f"{projected:.0f} s au rythme de la taille précédente > {args.budget:.0f} s")
                both_rate = None
            else:
                rows_s, contract = timed(lambda r=result: list(rows(r)))
                del contract
                rows_rate[name] = size / (engine_s + rows_s)
                both_rate = rows_rate[name]
                print(f"  2. moteur + lignes du contrat    {engine_s + rows_s:8.2f} s "
                      f"{rate(size, engine_s + rows_s)}  (dont lignes et explications "
                      f"{rows_s:.2f} s)", flush=True)

            gpd_s, facts = best_of(repeat, geopandas_pipeline, layers[policy.qpv_vintage],
                                   policy, lon, lat)
            print(f"  3. geopandas (fait moins)        {gpd_s:8.2f} s {rate(size, gpd_s)}{runs}")
            print(f"     accord avec le moteur : {agreement(result, facts)}", flush=True)
            del facts

            if classify_sql is None:
                print(f"  4. PostGIS fabriques_classify    {sql_note}")
                sql = None
            else:
                try:
                    done, sql_s, found, note = postgis_run(
                        classify_sql, pg_engine, policy, lon, lat, args.budget,
                        sql_rate.get(name))
                except Exception as error:  # noqa: BLE001 - report, keep benchmarking
                    done, sql_s, found = 0, 0.0, []
                    note = f"erreur ({type(error).__name__} : {str(error).splitlines()[0]})"
                if done:
                    sql_rate[name] = done / sql_s
                    partial = "" if done == size else f" sur {number(done)} points"
                    print(f"  4. PostGIS fabriques_classify    {sql_s:8.2f} s "
                          f"{rate(done, sql_s)}{partial} (depuis Python)")
                    check = sql_category_agreement(result, found)
                    if check:
                        print(f"     {check}")
                if note:
                    print(f"  4. PostGIS fabriques_classify    {note}")
                sql = sql_rate.get(name) if done == size else None
                del found
            ratio = (size / engine_s) / (size / gpd_s)
            print(f"  rapport moteur / geopandas : {ratio:.2f}×"
                  + (f" ; moteur + lignes / geopandas : {both_rate / (size / gpd_s):.2f}×"
                     if both_rate else ""), flush=True)
            summary[(size, name)] = (size / engine_s, both_rate, size / gpd_s, ratio, sql)
            del result
            gc.collect()

    sql_table: dict[str, tuple[int, float, float]] = {}
    if classify_sql is not None:
        table_size = min(SQL_TABLE_SIZE, largest)
        print(f"\nPostGIS, fabriques_classify sur une table de {number(table_size)} points (les "
              "tableaux lus dans la table par la requête, comme dans psql ; meilleure de 3), "
              "à côté du moteur sur les mêmes points, même minute :")
        for name, policy in policies.items():
            points = sets[policy.qpv_vintage]
            lon, lat = points.lon[:table_size], points.lat[:table_size]
            try:
                sql_s = postgis_table_run(pg_engine, policy, lon, lat)
            except Exception as error:  # noqa: BLE001 - report, keep benchmarking
                print(f"  {name} : erreur ({type(error).__name__} : "
                      f"{str(error).splitlines()[0]})")
                continue
            engine_s, _ = best_of(3, classify, indexes[policy.qpv_vintage], policy, lon, lat)
            sql_table[name] = (table_size, table_size / sql_s, table_size / engine_s)
            print(f"  {name} : SQL {sql_s:.2f} s {rate(table_size, sql_s).strip()} ; moteur "
                  f"{engine_s:.2f} s {rate(table_size, engine_s).strip()} ; SQL / moteur "
                  f"{engine_s / sql_s:.3f} (cibles : au bilan)", flush=True)
        print("\nPostGIS, vues des lauréats (non matérialisées ; meilleure de 5) :")
        for view, (count, whole, box) in postgis_view_times(pg_engine).items():
            print(f"  {view} : {count} lignes, vue entière {1000 * whole:.0f} ms (cible < "
                  f"{1000 * TARGET_VIEW_S:.0f} ms : {verdict_on(whole < TARGET_VIEW_S)}), "
                  f"filtrée par une emprise (Marseille) {1000 * box:.0f} ms", flush=True)

    print(f"\nDe bout en bout : fabriques classify d'un CSV de {number(csv_rows)} lignes "
          "id,lon,lat dans un nouveau processus (démarrage, lecture de la base SQLite, index "
          f"et grilles, lecture du CSV par lots de {number(CHUNK)}, classement, écriture du "
          "CSV du contrat par polars dans un second fil d'exécution) :")
    source, target = folder / "points.csv", folder / "classes.csv"
    csv_results = {}
    for name, policy in policies.items():
        write_points_csv(source, sets[policy.qpv_vintage], csv_rows)
        seconds, error = cli_run(sqlite_url, folder, args.data_dir, policy, source, target)
        csv_results[name] = None if error else seconds
        if error:
            print(f"  {name} : échec ({error})", flush=True)
            continue
        print(f"  {name} : {seconds:.2f} s, {rate(csv_rows, seconds, 'lignes/s').strip()} ; "
              f"entrée {source.stat().st_size / 1e6:.0f} Mo, sortie "
              f"{target.stat().st_size / 1e6:.0f} Mo", flush=True)
        target.unlink(missing_ok=True)
        gc.collect()
        part = pieces(indexes[policy.qpv_vintage], policy, source, target, short=True)
        print(f"     dans ce processus (index déjà construit), pièce par pièce : lecture du "
              f"CSV {part['read']:.2f} s, moteur {part['engine']:.2f} s, colonnes du contrat "
              f"(cadre polars) {part['columns']:.2f} s, écriture polars {part['write']:.2f} s "
              f"(explication de {part['chars']:.0f} caractères en moyenne) ; la commande "
              "écrit un lot pendant qu'elle classe le suivant", flush=True)
        streaming_table(sqlite_url, folder, args.data_dir, policy, source, csv_rows)
    source.unlink(missing_ok=True)

    print("\nBilan face aux cibles de l'issue :")
    for (size, name), (engine_rate, both, gpd_rate, ratio, sql) in summary.items():
        both_text = f"{number(both)} points/s" if both else "non mesuré"
        if sql:
            sql_text = f"{number(sql)} points/s"
        else:
            smaller = [v[4] for (n, p), v in summary.items() if p == name and n < size and v[4]]
            sql_text = "non mesuré" + (f" à cette taille (trop long, voir plus haut) ; "
                                       f"{number(smaller[-1])} points/s à la taille inférieure"
                                       if smaller else "")
        print(f"  N = {number(size):>9} {name:9} verdict {number(engine_rate):>9} points/s "
              f"(cible ≥ {number(TARGET_RATE)} : {verdict_on(engine_rate >= TARGET_RATE)}) ; "
              f"geopandas {number(gpd_rate)} points/s, rapport {ratio:.2f}× (cible ≥ "
              f"{TARGET_RATIO:.0f}× : {verdict_on(ratio >= TARGET_RATIO)}) ; avec les lignes du "
              f"contrat {both_text} ; PostGIS appelé depuis Python {sql_text}")
    for name, (table_size, sql_rate, engine_rate) in sql_table.items():
        print(f"  PostGIS {name}, table de {number(table_size)} points : "
              f"{sql_table_targets(table_size, sql_rate, engine_rate)}")
    for name, seconds in csv_results.items():
        shown = "échec" if seconds is None else f"{seconds:.1f} s"
        met = None if seconds is None or csv_rows != TARGET_CSV_ROWS else seconds < TARGET_CSV_S
        print(f"  fabriques classify {name} : {number(csv_rows)} lignes en {shown} (cible < "
              f"{TARGET_CSV_S:.0f} s pour {number(TARGET_CSV_ROWS)} lignes : {verdict_on(met)})")
    sqlite_engine.dispose()


if __name__ == "__main__":
    main()
