"""The baseline of ``bench/http.py``: a bare Flask endpoint returning a small JSON.

It answers the same URL as the service (``/api/v1/eligibility``, its query read) and
``/sante``, so that the same load generator, under the same gunicorn settings, measures what a
Flask application costs before it does any work. Nothing else: no extension, no template.
"""

from __future__ import annotations

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/api/v1/eligibility")
def eligibility():
    return jsonify(lon=float(request.args.get("lon", 0)), lat=float(request.args.get("lat", 0)),
                   policy=request.args.get("policy"), category="hors-grand-centre-urbain")


@app.get("/sante")
def health():
    return jsonify(statut="ok")
