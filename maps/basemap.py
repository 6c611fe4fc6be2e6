"""The basemap setting: a tile source and its attribution.

``Basemap`` is a tile source (an XYZ or WMTS-as-XYZ URL with ``{z}``, ``{x}``, ``{y}``) and
its attribution; ``basemap_from_settings`` reads one from the settings (``BASEMAP_URL``,
``BASEMAP_ATTRIBUTION``), None when the setting is empty or ``off``. The default is the
State's own basemap, IGN's Plan IGN v2 served by the Géoplateforme (no key needed).

The setting only: no folium here, so that reading the settings stays light (the command
line imports them). ``maps.tiles.TiledBasemap`` draws a basemap on a map.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["IGN_PLAN_ATTRIBUTION", "IGN_PLAN_URL", "Basemap", "BasemapError",
           "basemap_from_settings"]

IGN_PLAN_URL = ("https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                "&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2&STYLE=normal&TILEMATRIXSET=PM"
                "&FORMAT=image/png&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}")
"""Plan IGN v2, WMTS in the Web Mercator tile matrix set (PM), read as XYZ tiles."""
IGN_PLAN_ATTRIBUTION = "© IGN – Plan IGN"
OFF = {"", "off", "none", "0", "false"}


class BasemapError(ValueError):
    """A basemap setting that is not a tile URL."""


@dataclass(frozen=True)
class Basemap:
    """A tile source: its URL template, attribution and deepest zoom."""

    url: str
    attribution: str
    max_zoom: int = 19

    @property
    def host(self) -> str:
        """``scheme://host[:port]``: the source the page's CSP must allow images from."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


def basemap_from_settings(url: str | None, attribution: str | None) -> Basemap | None:
    """The basemap of the settings; None when ``url`` is empty or ``off``."""
    text = (url or "").strip()
    if text.casefold() in OFF:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise BasemapError(f"BASEMAP_URL : une adresse http(s) de tuiles est attendue, pas "
                           f"{text!r}")
    missing = [key for key in ("{z}", "{x}", "{y}") if key not in text]
    if missing:
        raise BasemapError(f"BASEMAP_URL : il manque {', '.join(missing)} dans {text!r}")
    if not (attribution or "").strip():
        raise BasemapError("BASEMAP_ATTRIBUTION : l'attribution du fond de plan est "
                           "obligatoire")
    return Basemap(text, attribution.strip())
