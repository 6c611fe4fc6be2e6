"""Responses compressed for clients that accept it (zstd, brotli, gzip): Flask-Compress.

The pages load the DSFR's style sheet (about 730 kB as is, a tenth of that compressed) and
the map's GeoJSON layers: compressed, the public map's first view stays within its budget
of 1.5 MB transferred (``bench/map.py``). Fonts and images are already compressed.

A coding the client refuses (``gzip;q=0``, RFC 9110 § 12.5.3) is never used: Flask-Compress
took « gzip;q=0 » alone for gzip (and « gzip; q=0 », a space, for no coding it knows). The
header is read first here, and only the codings the client accepts reach Flask-Compress.
"""

from __future__ import annotations

from flask import Flask, request
from flask_compress import Compress

__all__ = ["COMPRESSED_TYPES", "accepted_codings", "init_app"]

COMPRESSED_TYPES = [
    "text/html", "text/css", "text/plain", "text/csv", "text/javascript",
    "application/javascript", "application/json", "application/geo+json",
    "application/vnd.oai.openapi+json",  # the OGC API's definition (app.ogc)
    "application/manifest+json", "image/svg+xml",
]


def accepted_codings(header: str) -> str:
    """An ``Accept-Encoding`` value without the codings it refuses (a weight of 0, or one
    that is not a number), spaces around « ; » and « = » allowed."""
    kept = []
    for part in header.split(","):
        coding, *parameters = (piece.strip() for piece in part.split(";"))
        weight = "1"
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                weight = value.strip()
        try:
            accepted = 0 < float(weight) <= 1
        except ValueError:
            accepted = False
        if coding and accepted:
            kept.append(coding if weight == "1" else f"{coding};q={weight}")
    return ", ".join(kept)


def init_app(app: Flask) -> Compress:
    """Compress the responses of ``COMPRESSED_TYPES`` (unless the settings name others), in
    a coding the client accepts."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    compress = Compress(app)

    @app.before_request
    def refused_codings_removed():
        header = request.environ.get("HTTP_ACCEPT_ENCODING")
        if header:
            request.environ["HTTP_ACCEPT_ENCODING"] = accepted_codings(header)

    @app.after_request  # registered after Compress's hook, so it runs before it
    def close_what_compression_replaces(response):
        # Flask-Compress swaps a streamed body (a static file) for a compressing generator,
        # and the file would stay open: close it when the response closes.
        source = response.response
        if response.is_streamed and hasattr(source, "close"):
            response.call_on_close(source.close)
        return response

    return compress
