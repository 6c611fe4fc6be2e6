"""Download a source file once, check its SHA-256, and keep it in a cache (pooch).

The cache folder is ``FABRIQUES_CACHE_DIR``, else the user's cache (``~/.cache/fabriques``).
A file whose checksum does not match is deleted and the load stops with an error; a download
that fails says why in French (HTTP status, name not resolved, connection refused, timeout).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import urlparse

import pooch
import requests
from urllib3.exceptions import NameResolutionError

from loaders.errors import LoadError

__all__ = ["cache_dir", "is_url", "retrieve"]

pooch.get_logger().setLevel("WARNING")  # not its English « Downloading data from … »: the
# command says what it loads, and pooch's bar shows the download unless --quiet


def is_url(text: str) -> bool:
    """True for http(s) URLs; anything else is a local path."""
    return urlparse(text).scheme in {"http", "https"}


def cache_dir() -> Path:
    configured = os.environ.get("FABRIQUES_CACHE_DIR")
    return Path(configured) if configured else Path(pooch.os_cache("fabriques"))


def retrieve(url: str, *, known_hash: str | None, progress: bool = True) -> Path:
    """The local path of a downloaded (or already cached) file with the expected checksum."""
    expected = f"sha256:{known_hash}" if known_hash and ":" not in known_hash else known_hash
    name = Path(urlparse(url).path).name or "download"
    try:
        path = pooch.retrieve(
            url,
            known_hash=expected,
            fname=name,
            path=cache_dir() / _url_folder(url),
            progressbar=progress,
        )
    except ValueError as error:  # pooch's checksum mismatch
        raise LoadError(f"somme de contrôle incorrecte : {error}", path=url) from None
    except requests.RequestException as error:
        if error.response is not None:  # pooch streams: an error status leaves it open
            error.response.close()
        raise LoadError(f"téléchargement impossible : {_download_reason(error)}",
                        path=url) from None
    return Path(path)


def _download_reason(error: requests.RequestException) -> str:
    """Why a download failed, in French: the server's status, a name that does not resolve,
    a connection refused or cut, a timeout; urllib3's English otherwise."""
    host = urlparse(error.request.url).hostname if error.request is not None else None
    if isinstance(error, requests.HTTPError) and error.response is not None:
        return f"le serveur répond HTTP {error.response.status_code}"
    if isinstance(error, requests.Timeout):
        return f"{host} ne répond pas (délai dépassé)"
    if isinstance(error, requests.ConnectionError):
        if isinstance(getattr(error.args[0] if error.args else None, "reason", None),
                      NameResolutionError):
            return f"serveur introuvable : le nom {host} ne se résout pas (réseau fermé ?)"
        return f"connexion à {host} impossible (refusée ou coupée)"
    return str(error)


def _url_folder(url: str) -> str:
    """One cache folder per URL, so two files of the same name never collide."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]
