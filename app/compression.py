"""Responses compressed for clients that accept it (zstd, brotli, gzip): Flask-Compress.

The pages load the DSFR's style sheet (about 730 kB as is, a tenth of that compressed) and
the map's GeoJSON layers: compressed, the public map's first view stays within its budget
of 1.5 MB transferred (``bench/map.py``). Fonts and images are already compressed.
"""

from __future__ import annotations

from flask import Flask
from flask_compress import Compress

__all__ = ["COMPRESSED_TYPES", "init_app"]

COMPRESSED_TYPES = [
    "text/html", "text/css", "text/plain", "text/csv", "text/javascript",
    "application/javascript", "application/json", "application/geo+json",
    "application/vnd.oai.openapi+json",  # the OGC API's definition (app.ogc)
    "application/manifest+json", "image/svg+xml",
]


def init_app(app: Flask) -> Compress:
    """Compress the responses of ``COMPRESSED_TYPES`` (unless the settings name others)."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    compress = Compress(app)

    @app.after_request  # registered after Compress's hook, so it runs before it
    def close_what_compression_replaces(response):
        # Flask-Compress swaps a streamed body (a static file) for a compressing generator,
        # and the file would stay open: close it when the response closes.
        source = response.response
        if response.is_streamed and hasattr(source, "close"):
            response.call_on_close(source.close)
        return response

    return compress
