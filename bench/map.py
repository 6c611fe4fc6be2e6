"""Measure the public map's first view: bytes transferred and time to a usable map.

    .venv/bin/python bench/map.py [--runs 4] [--cold 3] [--workers 2] [--threads 1] [--instance DIR]
                                  [--config python:app.gunicorn_conf] [--drop-cache]

The demo data are loaded into a temporary instance folder (the embedded default; or
``--instance`` names a folder already loaded), the service runs under gunicorn on 127.0.0.1
with ``FABRIQUES_RATELIMIT=off`` and the settings of ``make serve`` (``--config``; an empty
value runs gunicorn without them), and Debian's Chromium (Playwright, headless) opens
``/carte`` in a fresh browser context each run, so the browser cache is always empty:

- bytes transferred: the sum of ``encodedDataLength`` over every request of the page (Chrome
  DevTools Protocol ``Network.loadingFinished``: headers and bodies as sent, compressed when
  the server compressed them), HTML, scripts, styles, fonts, images and data together, up to
  the network going idle after the map is usable;
- time to a usable map: from navigation start to the moment the map container carries
  ``data-ready="true"`` (``app/carte/static/carte.js`` sets it once the markers and the first
  requests of the visible layers are drawn).

Cold first views (``--cold``): each starts a fresh gunicorn, waits until ``/sante`` answers
(the start-up time, printed: a worker that warms its caches answers later), opens ``/sante``
once in the browser so that Chromium's own first start is not counted, then measures the
first view of ``/carte``. The layer cache on disk (``app.carte.layers.CACHE_FOLDER`` in the
instance folder) is kept from one start to the next, as on a real restart, unless
``--drop-cache`` removes it before each start (the first start after a load); each cold line
says whether it was there. The warm runs (``--runs``) follow on the last server, which is
what the budget is about (with several workers and ``--config ""``, a warm run may still
meet a worker that has not served the map yet: the caches are per process).

If the service has a ``/tableau-de-bord`` page, it is measured warm the same way, logged in
first as a ministry account (``bench-ministere@exemple.gouv.fr``, created in the instance if
missing) through the login form, outside the measurement; the page is server-rendered SVG,
so the ``load`` event marks it usable. Figures are printed against the budget, never
asserted.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/http.py is named as the issue asks: this folder must not shadow the stdlib's http.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import requests  # noqa: E402

ROOT = BENCH.parent
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
BUDGET_BYTES = 1_500_000
BUDGET_SECONDS = 1.5
READY = """
window.__fabriquesReady = null;
new MutationObserver(function () {
  if (window.__fabriquesReady === null && document.querySelector('[data-ready="true"]')) {
    window.__fabriquesReady = performance.now();
  }
}).observe(document, {subtree: true, childList: true, attributes: true,
                      attributeFilter: ["data-ready"]});
"""

_load = importlib.util.spec_from_file_location("bench_load", BENCH / "load.py")
bench_load = importlib.util.module_from_spec(_load)
_load.loader.exec_module(bench_load)
machine = bench_load.machine


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(url: str, timeout: float = 60.0) -> float:
    """Wait until the service answers ``/sante``; the seconds it took."""
    start = time.monotonic()
    while time.monotonic() < start + timeout:
        try:
            if requests.get(f"{url}/sante", timeout=timeout).status_code == 200:
                return time.monotonic() - start
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise SystemExit("le service n'a pas démarré")


def measure(browser, url: str, has_ready: bool = True, prepare=None) -> dict:
    """Open ``url`` in a fresh context: bytes, requests, seconds to usable, biggest items.
    ``prepare(context)`` runs first, outside the measurement (the dashboard's login)."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    if prepare is not None:
        prepare(context)
    page = context.new_page()
    outside: list[str] = []

    def only_loopback(route):
        if route.request.url.startswith(("http://127.0.0.1", "data:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_loopback)
    page.add_init_script(READY)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    urls: dict[str, str] = {}
    sizes: dict[str, float] = {}
    cdp.on("Network.requestWillBeSent",
           lambda event: urls.__setitem__(event["requestId"], event["request"]["url"]))
    cdp.on("Network.loadingFinished",
           lambda event: sizes.__setitem__(event["requestId"], event["encodedDataLength"]))
    page.goto(url, wait_until="commit")
    if has_ready:
        page.wait_for_function("() => window.__fabriquesReady !== null", timeout=120_000)
        seconds = page.evaluate("window.__fabriquesReady") / 1000
        page.wait_for_load_state("networkidle")
    else:
        page.wait_for_load_state("load")
        seconds = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
        seconds /= 1000
        page.wait_for_load_state("networkidle")
    items = sorted(((size, urls.get(request, "?")) for request, size in sizes.items()),
                   reverse=True)
    context.close()
    return {"bytes": sum(sizes.values()), "requests": len(sizes), "seconds": seconds,
            "items": items, "outside": outside}


def kb(value: float) -> str:
    """Kilobytes, French style."""
    return f"{value / 1000:,.0f} kB".replace(",", "\u202f")


def report(name: str, runs: list[dict]) -> None:
    """Print each warm run, the median and the verdict against the budget."""
    print(f"{name} : Chromium headless, contexte neuf (cache vide) à chaque passage, "
          "serveur chaud")
    for number, run in enumerate(runs, 1):
        print(f"  passage {number} : {kb(run['bytes'])} transférés en "
              f"{run['requests']} requêtes ; utilisable en {run['seconds']:.2f} s")
    bytes_ = statistics.median(run["bytes"] for run in runs)
    seconds = statistics.median(run["seconds"] for run in runs)
    verdict = "respecté" if bytes_ <= BUDGET_BYTES and seconds <= BUDGET_SECONDS else "DÉPASSÉ"
    print(f"  médiane serveur chaud : {kb(bytes_)}, {seconds:.2f} s — budget "
          f"≤ {kb(BUDGET_BYTES)} et ≤ {BUDGET_SECONDS} s : {verdict}")
    print("  plus gros transferts : " + " ; ".join(
        f"{url.split('127.0.0.1', 1)[-1].split(':', 1)[-1].split('/', 1)[-1][:60]} "
        f"{kb(size)}" for size, url in runs[-1]["items"][:6]))
    outside = sorted({url for run in runs for url in run["outside"]})
    print(f"  requêtes hors de 127.0.0.1 : {len(outside)}" + (f" ({outside[:3]})" if outside
                                                             else ""))


def report_cold(runs: list[dict]) -> None:
    """Print each cold first view (fresh server) with its start-up time, and the median."""
    print("/carte, première vue après un (re)démarrage : serveur neuf à chaque passage")
    for number, run in enumerate(runs, 1):
        cache = "présent" if run["disk_cache"] else "absent"
        print(f"  démarrage {number} (cache disque {cache}) : /sante répond après "
              f"{run['startup']:.2f} s ; {kb(run['bytes'])} transférés ; utilisable en "
              f"{run['seconds']:.2f} s")
    seconds = statistics.median(run["seconds"] for run in runs)
    startup = statistics.median(run["startup"] for run in runs)
    verdict = "respecté" if seconds <= BUDGET_SECONDS else "DÉPASSÉ"
    print(f"  médiane à froid : utilisable en {seconds:.2f} s (démarrage {startup:.2f} s) — "
          f"budget ≤ {BUDGET_SECONDS} s : {verdict}")


DASHBOARD_EMAIL = "bench-ministere@exemple.gouv.fr"
DASHBOARD_PASSWORD = "banc de mesure du tableau de bord"


def dashboard_login(url: str):
    """A ``prepare`` step: log the context in as the bench's ministry account through the
    login form (Playwright's request API shares the context's cookies but not its cache,
    so the measured page still starts with an empty cache)."""
    def log_in(context) -> None:
        form = context.request.get(f"{url}/connexion").text()
        token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        answer = context.request.post(f"{url}/connexion", max_redirects=0, form={
            "email": DASHBOARD_EMAIL, "password": DASHBOARD_PASSWORD, "csrf_token": token})
        opened = context.request.get(f"{url}/tableau-de-bord", max_redirects=0).status
        if answer.status != 302 or opened != 200:
            raise SystemExit(f"connexion au tableau de bord refusée (HTTP {answer.status}, "
                             f"puis {opened})")
    return log_in


def measure_dashboard(browser, url: str, env: dict, runs: int) -> None:
    """Measure ``/tableau-de-bord`` like the map, logged in as a ministry account (created in
    the instance if it is missing); skipped when the service has no dashboard."""
    probe = requests.get(f"{url}/tableau-de-bord", timeout=60, allow_redirects=False)
    if probe.status_code != 302 or "/connexion" not in probe.headers.get("Location", ""):
        print(f"/tableau-de-bord : absent (HTTP {probe.status_code}), ignoré")
        return
    subprocess.run([BIN / "fabriques", "users", "add", DASHBOARD_EMAIL, "--role", "ministry",
                    "--password-stdin"], input=DASHBOARD_PASSWORD + "\n", text=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    report("/tableau-de-bord (connecté, rôle ministère)",
           [measure(browser, f"{url}/tableau-de-bord", has_ready=False,
                    prepare=dashboard_login(url)) for _ in range(runs)])


def start_server(args, env: dict, port: int) -> subprocess.Popen:
    """gunicorn on 127.0.0.1:``port`` with the bench's workers and threads."""
    config = ["--config", args.config] if args.config else []
    return subprocess.Popen(
        [BIN / "gunicorn", *config, "--bind", f"127.0.0.1:{port}", "--workers",
         str(args.workers), "--threads", str(args.threads), "--log-level", "warning",
         "app:create_app()"], env=env, cwd=ROOT)


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4, help="vues à chaud")
    parser.add_argument("--cold", type=int, default=3,
                        help="premières vues, chacune sur un serveur neuf (au moins 1)")
    parser.add_argument("--workers", type=int, default=2, help="comme make serve")
    parser.add_argument("--threads", type=int, default=1,
                        help="fils par worker (1 : workers sync, comme make serve)")
    parser.add_argument("--config", default="python:app.gunicorn_conf",
                        help="configuration gunicorn de make serve (vide : aucune)")
    parser.add_argument("--drop-cache", action="store_true",
                        help="effacer le cache disque des couches avant chaque démarrage")
    parser.add_argument("--port", type=int, default=0, help="défaut : un port libre")
    parser.add_argument("--instance", type=Path,
                        help="dossier d'instance déjà chargé (sinon : données démo chargées "
                             "dans un dossier temporaire)")
    args = parser.parse_args()
    if not shutil.which(CHROMIUM):
        raise SystemExit(f"{CHROMIUM} absent (paquet Debian chromium)")
    from playwright.sync_api import sync_playwright

    from app.carte.layers import CACHE_FOLDER

    print(f"Machine : {machine()}")
    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as playwright:
        instance = args.instance or Path(scratch)
        env = {**os.environ, "FABRIQUES_INSTANCE_PATH": str(instance),
               "FABRIQUES_RATELIMIT": "off",
               "FABRIQUES_SESSION_COOKIE_SECURE": "false"}  # plain http on 127.0.0.1
        if args.instance is None:
            subprocess.run([BIN / "fabriques", "load", "demo", "--quiet"], env=env, check=True,
                           stdout=subprocess.DEVNULL)
        print(f"Serveur : gunicorn, {args.workers} worker(s) × {args.threads} threads, "
              f"configuration {args.config or 'aucune'}, base embarquée (données démo), "
              "127.0.0.1")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        cache = instance / CACHE_FOLDER
        cold, server = [], None
        try:
            for _ in range(max(args.cold, 1)):
                if server is not None:
                    stop_server(server)
                if args.drop_cache:
                    shutil.rmtree(cache, ignore_errors=True)
                disk_cache = cache.is_dir() and any(cache.iterdir())
                port = args.port or free_port()
                url = f"http://127.0.0.1:{port}"
                server = start_server(args, env, port)
                startup = wait_ready(url)
                measure(browser, f"{url}/sante", has_ready=False)  # Chromium's first start
                cold.append({**measure(browser, f"{url}/carte"), "startup": startup,
                             "disk_cache": disk_cache})
            report_cold(cold)
            report("/carte", [measure(browser, f"{url}/carte") for _ in range(args.runs)])
            measure_dashboard(browser, url, env, args.runs)
        finally:
            browser.close()
            if server is not None:
                stop_server(server)
    print(f"Budget (issue 5) : ≤ {kb(BUDGET_BYTES)} transférés et carte utilisable en "
          f"≤ {BUDGET_SECONDS} s pour la première vue de la France métropolitaine")


if __name__ == "__main__":
    main()
