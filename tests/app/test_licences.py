"""The licences: the project's own text, and each front-end package's beside the files the
site serves from it (``make assets`` copies them; the README states their terms)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "app" / "static" / "vendor"

VENDORED = {  # package folder: (its licence file, a phrase of the terms the README states)
    "dsfr": ("LICENSE.md", "Etalab 2.0"),
    "leaflet": ("LICENSE", "BSD 2-Clause License"),
    "leaflet.markercluster": ("MIT-LICENCE.txt", "Permission is hereby granted, free of charge"),
}


def test_the_licence_text_is_the_one_the_metadata_declares():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    assert declared == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n")


def test_every_vendored_package_is_served_with_its_licence(client):
    assert {folder.name for folder in VENDOR.iterdir() if folder.is_dir()} == set(VENDORED)
    for package, (licence, terms) in VENDORED.items():
        with client.get(f"/static/vendor/{package}/{licence}") as response:
            assert response.status_code == 200, package
            assert terms in response.get_data(as_text=True), package
