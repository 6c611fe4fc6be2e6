"""Sessions, forms and headers: the secret key, secure cookies, CSRF protection on every form,
the security headers of every response, and the reverse proxies trusted to name the client.

The secret key comes from ``SECRET_KEY`` (instance file or ``FABRIQUES_SECRET_KEY``); when
none is set, one is generated once and kept in the instance folder (``secret_key``, readable
by its owner only), so that sessions survive a restart and every gunicorn worker agrees: the
file appears whole or not at all (written aside, then linked into place), so workers starting
together all read the same key.

Every POST of an HTML form carries a CSRF token (Flask-WTF); the JSON API is exempt: it
keeps no session and authenticates nobody, so a forged cross-site request gains nothing.

Every response, the API's included, carries the headers of Flask-Talisman: a
Content-Security-Policy that lets the pages load only this site's files (inline ``<script>``
and ``<style>`` elements run only with the request's nonce: ``nonce="{{ csp_nonce() }}"``,
and a map's rendered pieces through the ``nonced`` filter), refuses any framing, no MIME
sniffing, no referrer sent to other sites. HSTS is sent only on an HTTPS request.

``TRUSTED_PROXIES`` (default 0) is the number of reverse proxies in front of the service: with
N > 0, werkzeug's ``ProxyFix`` takes the client's address and scheme from the last N
``X-Forwarded-For`` / ``X-Forwarded-Proto`` values, so that rate limits count real clients and
an HTTPS request is seen as one. With 0 these headers are ignored (anyone can write them).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import secrets
import tempfile
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFError, CSRFProtect
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from app.access import local_path
from app.errors import API_PREFIX, error_page
from geodata.dossiers.states import workflow
from maps.base import with_nonce
from maps.basemap import Basemap, basemap_from_settings

__all__ = ["INLINE_HANDLERS", "SecretKeyError", "basemap", "content_security_policy", "csrf",
           "init_app", "no_store", "trust_proxies"]

csrf = CSRFProtect()
SECRET_FILE = "secret_key"
HSTS = "max-age=31536000; includeSubDomains"
SESSIONLESS_PREFIXES = (f"{API_PREFIX}/", "/ogc/")
"""The paths whose requests keep no session: the JSON API's and the OGC API's."""
API_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Accept",
    "Access-Control-Expose-Headers": "Content-Disposition, Retry-After, X-Fabriques-Erreurs, "
                                     "X-Fabriques-A-Verifier, X-Fabriques-Adresses-A-Verifier",
}
"""The CORS headers of ``/api/v1`` (no credentials: ``*`` sends no cookie along)."""
INLINE_HANDLERS = ("window.print()",)
"""The inline event handlers the templates use (``onclick="…"``), allowed by their hash."""


class SecretKeyError(RuntimeError):
    """The instance's secret key file cannot be used."""


def _instance_secret(instance_path: str) -> str:
    """The instance folder's secret key, created on first use (mode 0600). A new key is
    written to a temporary file then hard-linked to its name, which fails if the name exists:
    the file is never seen empty or half-written, and a process that loses the race reads the
    winner's key."""
    path = Path(instance_path) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{SECRET_FILE}.")
        try:
            with os.fdopen(descriptor, "w") as handle:  # mkstemp: mode 0600
                handle.write(secrets.token_hex(32))
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(draft, path)
            except FileExistsError:
                pass  # another process put its key first: everyone uses that one
        finally:
            os.unlink(draft)
    key = path.read_text().strip()
    if not key:
        raise SecretKeyError(f"fichier de clé secrète vide : {path} ; supprimez-le, une "
                             "nouvelle clé sera créée au démarrage")
    return key


def _source_hash(source: str) -> str:
    """A CSP hash source of an inline script or handler."""
    digest = hashlib.sha256(source.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def content_security_policy(image_hosts: Iterable[str] = ()) -> dict[str, str]:
    """The Content-Security-Policy of every response (Talisman adds the request's nonce to
    ``script-src`` and ``style-src``). ``image_hosts``: the hook for a tiled basemap, whose
    tile server (``https://data.geopf.fr``) the maps then load images from (``basemap``)."""
    handlers = " ".join(_source_hash(source) for source in INLINE_HANDLERS)
    return {
        "default-src": "'self'",
        "script-src": "'self'",
        "script-src-attr": f"'unsafe-hashes' {handlers}",
        "style-src": "'self'",
        # style="..." attributes (legend colours; Leaflet's popups); no <style> element.
        "style-src-attr": "'unsafe-inline'",
        "img-src": " ".join(["'self'", "data:", *image_hosts]),  # data: the DSFR's icons
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


def basemap(app: Flask) -> Basemap | None:
    """The basemap of the settings (``BASEMAP_URL``, ``BASEMAP_ATTRIBUTION``), None when off;
    checked once at start: a bad setting stops the app with the reason."""
    if "fabriques.basemap" not in app.extensions:
        app.extensions["fabriques.basemap"] = basemap_from_settings(
            app.config.get("BASEMAP_URL"), app.config.get("BASEMAP_ATTRIBUTION"))
    return app.extensions["fabriques.basemap"]


def trust_proxies(app: Flask) -> None:
    """Apply ``ProxyFix`` for the ``TRUSTED_PROXIES`` reverse proxies in front of the app."""
    setting = app.config.get("TRUSTED_PROXIES")
    text = "0" if setting is None else str(setting).strip()
    if isinstance(setting, bool) or not (text.isascii() and text.isdigit()):
        raise ValueError("TRUSTED_PROXIES : le nombre de proxys de confiance (0 ou plus) est "
                         f"attendu, pas {setting!r}")
    if int(text):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(text), x_proto=int(text))


class _Talisman(Talisman):
    """Talisman with its per-request work done once: each view's options (fixed per view,
    which Talisman looks up four times a request) and the policy's text, where only the
    request's nonce changes. The same headers, some 40 µs less a request."""

    def __init__(self, *args, **kwargs):
        self._view_options: dict = {}
        self._policy_parts: dict = {}
        super().__init__(*args, **kwargs)

    def _get_local_options(self):
        endpoint = request.endpoint
        if endpoint not in self._view_options:
            self._view_options[endpoint] = super()._get_local_options()
        return self._view_options[endpoint]

    def _parse_policy(self, policy):
        if not isinstance(policy, dict):
            return super()._parse_policy(policy)
        nonce_in = tuple(self._get_local_options()["content_security_policy_nonce_in"] or ())
        key = (id(policy), nonce_in)
        if key not in self._policy_parts:  # (text, takes the nonce) of each section
            self._policy_parts[key] = (policy, [  # the policy kept: its id stays its own
                (f"{section} {content if isinstance(content, str) else ' '.join(content)}",
                 section in nonce_in) for section, content in policy.items()])
        nonce = getattr(request, "csp_nonce", None)
        return "; ".join(f"{text} 'nonce-{nonce}'" if takes and nonce is not None else text
                         for text, takes in self._policy_parts[key][1])


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signer built once per secret key instead of
    on every request (Flask builds it even when the request carries no cookie). The JSON
    API and the OGC API keep no session: their requests get Flask's null session (nothing
    read, nothing written, no ``Vary: Cookie``)."""

    def __init__(self):
        self._signers: dict = {}

    def open_session(self, app: Flask, request):
        if f"{request.path}/".startswith(SESSIONLESS_PREFIXES):
            return None  # Flask's null session
        return super().open_session(app, request)

    def get_signing_serializer(self, app: Flask):
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if key not in self._signers:
            self._signers[key] = super().get_signing_serializer(app)
        return self._signers[key]


def _headers(app: Flask) -> None:
    """Security headers on every response (Talisman), HSTS on HTTPS requests only."""
    _Talisman(
        app,
        force_https=False,  # plain HTTP stays possible (development, a local proxy)
        strict_transport_security=False,  # below: Talisman trusts X-Forwarded-Proto from anyone
        frame_options="DENY",
        content_security_policy=content_security_policy(
            [tiles.host] if (tiles := basemap(app)) is not None else []),
        content_security_policy_nonce_in=["script-src", "style-src"],
        referrer_policy="same-origin",
        # The session cookie's flags are app.settings', not Talisman's.
        session_cookie_secure=False,
        session_cookie_http_only=bool(app.config.get("SESSION_COOKIE_HTTPONLY")),
        session_cookie_samesite=app.config.get("SESSION_COOKIE_SAMESITE"),
    )

    @app.after_request
    def strict_transport(response):
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = HSTS
        return response

    @app.after_request
    def api_readable_anywhere(response):
        """The JSON API is public and keeps no session: any web page may call it, as the
        OGC API (a local authority's page on its own domain could not)."""
        if f"{request.path}/".startswith(f"{API_PREFIX}/"):
            response.headers.update(API_CORS)
        return response

    @app.template_filter("nonced")
    def nonced(fragment: str) -> Markup:
        """A map's rendered piece (trusted HTML) with the request's nonce on its inline
        elements: ``{{ parts.header|nonced }}``."""
        nonce = getattr(request, "csp_nonce", "")
        return Markup(with_nonce(fragment, nonce) if nonce else fragment)


def init_app(app: Flask) -> None:
    """Trust the configured proxies, bind the secret key, harden the session cookie, set the
    security headers, protect forms against CSRF (the JSON API's blueprint exempts itself:
    ``csrf.exempt``)."""
    trust_proxies(app)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)
    app.session_interface = _SessionInterface()
    _headers(app)
    csrf.init_app(app)

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError):
        if _plain_http_without_session(app, error):
            return error_page("Connexion chiffrée nécessaire", PLAIN_HTTP, 400, kept=_kept())
        return _form_refused(error)


def _form_refused(error: CSRFError):
    """The page of a form refused for its CSRF token: what the person chose and wrote, to
    copy, and the way back to the form's page; never « reload », which resends the form.
    A page behind a login posted once the session is gone (a logout in another tab, the
    session's end) says to log in again, the login leading back to that page."""
    page = _form_page()
    view = current_app.view_functions.get(request.endpoint)
    if not current_user.is_authenticated and hasattr(view, "accepted_roles"):
        kept = _kept()
        then = "Copiez ce que vous aviez choisi et écrit (ci-dessous), puis reconnectez-vous" \
            if kept else "Reconnectez-vous"
        return error_page(
            "Session terminée",
            "Votre session a pris fin (déconnexion, peut-être dans un autre onglet, ou durée "
            "d'une session écoulée) : le formulaire n'a pas été enregistré. "
            f"{then} : vous reviendrez à la page du formulaire pour le renvoyer.", 400,
            kept=kept, step=("Se reconnecter", url_for("comptes.login", next=page)))
    why = CSRF_REASONS.get(error.description, "jeton de sécurité refusé")
    back = "Rouvrez la page du formulaire (lien ci-dessous)" if page else \
        "Revenez à la page du formulaire"
    return error_page("Formulaire expiré",
                      f"Le formulaire a expiré ou ne vient pas de ce site ({why}) : il n'a pas "
                      f"été enregistré. {back} et recommencez.", 400, kept=_kept(),
                      step=("Rouvrir la page du formulaire", page) if page else None)


def _form_page() -> str | None:
    """The page the refused form was on: the referring page when it is one of this site
    (its path and query), else the form's own address when it is a page; None if neither."""
    referrer = urlsplit(request.referrer or "")
    if referrer.scheme in ("http", "https") and referrer.netloc == request.host:
        page = local_path(f"{referrer.path}?{referrer.query}".rstrip("?"))
        if page is not None:
            return page
    try:
        current_app.create_url_adapter(request).match(request.path, method="GET")
    except HTTPException:
        return None
    return request.path


def _kept() -> list[tuple[str, str]]:
    """What the refused form held that a person chose (``CHOSEN``, by its label) or wrote
    (``WRITTEN``), to copy back."""
    labels = {"avis": workflow().avis, "vers": workflow().labels}
    chosen = [(label, labels[name].get(value, value)) for name, label in CHOSEN.items()
              if (value := request.form.get(name, "").strip())]
    return chosen + [(label, request.form[name].strip()) for name, label in WRITTEN.items()
                     if request.form.get(name, "").strip()]


PLAIN_HTTP = ("Cette page a été ouverte en HTTP, sans chiffrement : les formulaires du service "
              "(la connexion comprise) ne fonctionnent qu'à une adresse en https://. Ouvrez le "
              "site en https:// ; si le problème persiste, prévenez son exploitant.")


def _loopback(host: str) -> bool:
    """A host browsers trust over plain HTTP: they send a ``Secure`` cookie there."""
    name = urlsplit(f"//{host}").hostname or ""
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _plain_http_without_session(app: Flask, error: CSRFError) -> bool:
    """A form posted over plain HTTP to a service whose session cookie is ``Secure``: the
    browser never sent the cookie back (but to a loopback host), so every form fails, the
    login first. The person is told to use https://, the operator's log says which setting
    (the first test of a new server, ``http://server:8000``, looked like a bug)."""
    if error.description != "The CSRF session token is missing." or request.is_secure \
            or not app.config.get("SESSION_COOKIE_SECURE") or _loopback(request.host):
        return False
    app.logger.warning(
        "formulaire refusé (%s) : requête en HTTP alors que le cookie de session ne part "
        "qu'en HTTPS (FABRIQUES_SESSION_COOKIE_SECURE) ; servez le site en HTTPS (derrière "
        "un mandataire HTTPS : FABRIQUES_TRUSTED_PROXIES), ou, pour un essai local "
        "seulement, FABRIQUES_SESSION_COOKIE_SECURE=false", request.path)
    return True


WRITTEN = {"texte": "Texte de l'avis", "motivation": "Motivation", "membres": "Membres du jury"}
"""The fields where a person writes sentences: an expired form (a session ended at its
eight hours, a logout in another tab) gives them back to copy, as a refused avis does."""
CHOSEN = {"avis": "Avis choisi", "vers": "État ou décision choisi"}
"""The choices given back with them (a prefecture's avis, the state or the jury's decision
of the dossiers ticked), by their labels."""


CSRF_REASONS = {
    "The CSRF token is missing.": "jeton de sécurité absent",
    "The CSRF session token is missing.": "session terminée ou cookies refusés",
    "The CSRF token has expired.": "jeton de sécurité expiré",
    "The CSRF token is invalid.": "jeton de sécurité invalide",
    "The CSRF tokens do not match.": "jeton d'une autre session",
    "The referrer header is missing.": "page d'origine inconnue",
    "The referrer does not match the host.": "envoyé depuis un autre site",
}
"""Flask-WTF's reasons (``flask_wtf.csrf``), said in French: no English on a page."""


def no_store(blueprint: Blueprint) -> None:
    """Keep the blueprint's answers out of every cache (pages behind a login)."""

    @blueprint.after_request
    def not_cached(response):
        response.headers["Cache-Control"] = "no-store"
        return response
