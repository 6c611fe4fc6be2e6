"""Measure the public map's first view: bytes transferred and time to a usable map.

    .venv/bin/python bench/map.py [--runs 4] [--workers 1] [--instance DIR]

The demo data are loaded into a temporary instance folder (the embedded default; or
``--instance`` names a folder already loaded), the service runs under gunicorn on 127.0.0.1
with ``FABRIQUES_RATELIMIT=off``, and Debian's Chromium (Playwright, headless) opens
``/carte`` in a fresh browser context each run, so the browser cache is always empty:

- bytes transferred: the sum of ``encodedDataLength`` over every request of the page (Chrome
  DevTools Protocol ``Network.loadingFinished``: headers and bodies as sent, compressed when
  the server compressed them), HTML, scripts, styles, fonts, images and data together, up to
  the network going idle after the map is usable;
- time to a usable map: from navigation start to the moment the map container carries
  ``data-ready="true"`` (``app/static/carte.js`` sets it once the markers and the first
  requests of the visible layers are drawn).

The first run meets a cold server (layers read, dissolved and simplified for the first
time); the following ones a warm server, which is what the budget is about. If the service
has a ``/tableau-de-bord`` page, it is measured the same way, logged in first as a ministry
account (``bench-ministere@exemple.gouv.fr``, created in the instance if missing) through the
login form, outside the measurement; the page is server-rendered SVG, so the ``load`` event
marks it usable. Figures are printed against the budget, never asserted.
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


def wait_ready(url: str, timeout: float = 60.0) -> None:
    """Wait until the service answers ``/sante``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/sante", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
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
        page.wait_for_function("window.__fabriquesReady !== null", timeout=120_000)
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


def report(name: str, runs: list[dict], cold_first: bool = True) -> None:
    """Print each run, the warm median and the verdict against the budget."""
    print(f"{name} : Chromium headless, contexte neuf (cache vide) à chaque passage")
    for number, run in enumerate(runs, 1):
        state = " (serveur froid)" if number == 1 and cold_first else ""
        print(f"  passage {number}{state} : {kb(run['bytes'])} transférés en "
              f"{run['requests']} requêtes ; utilisable en {run['seconds']:.2f} s")
    warm = runs[1:] or runs
    bytes_ = statistics.median(run["bytes"] for run in warm)
    seconds = statistics.median(run["seconds"] for run in warm)
    verdict = "respecté" if bytes_ <= BUDGET_BYTES and seconds <= BUDGET_SECONDS else "DÉPASSÉ"
    print(f"  médiane serveur chaud : {kb(bytes_)}, {seconds:.2f} s — budget "
          f"≤ {kb(BUDGET_BYTES)} et ≤ {BUDGET_SECONDS} s : {verdict}")
    print("  plus gros transferts : " + " ; ".join(
        f"{url.split('127.0.0.1', 1)[-1].split(':', 1)[-1].split('/', 1)[-1][:60]} "
        f"{kb(size)}" for size, url in warm[-1]["items"][:6]))
    outside = sorted({url for run in runs for url in run["outside"]})
    print(f"  requêtes hors de 127.0.0.1 : {len(outside)}" + (f" ({outside[:3]})" if outside
                                                             else ""))


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
                    prepare=dashboard_login(url)) for _ in range(runs)], cold_first=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=0, help="défaut : un port libre")
    parser.add_argument("--instance", type=Path,
                        help="dossier d'instance déjà chargé (sinon : données démo chargées "
                             "dans un dossier temporaire)")
    args = parser.parse_args()
    if not shutil.which(CHROMIUM):
        raise SystemExit(f"{CHROMIUM} absent (paquet Debian chromium)")
    from playwright.sync_api import sync_playwright

    print(f"Machine : {machine()}")
    with tempfile.TemporaryDirectory() as scratch:
        instance = args.instance or Path(scratch)
        env = {**os.environ, "FABRIQUES_INSTANCE_PATH": str(instance),
               "FABRIQUES_RATELIMIT": "off",
               "FABRIQUES_SESSION_COOKIE_SECURE": "false"}  # plain http on 127.0.0.1
        if args.instance is None:
            subprocess.run([BIN / "fabriques", "load", "demo", "--quiet"], env=env, check=True,
                           stdout=subprocess.DEVNULL)
        port = args.port or free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [BIN / "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
             str(args.workers), "--threads", str(args.threads), "--log-level", "warning",
             "app:create_app()"], env=env, cwd=ROOT)
        try:
            wait_ready(url)
            print(f"Serveur : gunicorn, {args.workers} worker(s) × {args.threads} threads, "
                  "base embarquée (données démo), 127.0.0.1")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                     args=CHROMIUM_ARGS)
                report("/carte", [measure(browser, f"{url}/carte") for _ in range(args.runs)])
                measure_dashboard(browser, url, env, args.runs)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"Budget (issue 5) : ≤ {kb(BUDGET_BYTES)} transférés et carte utilisable en "
          f"≤ {BUDGET_SECONDS} s pour la première vue de la France métropolitaine")


if __name__ == "__main__":
    main()
