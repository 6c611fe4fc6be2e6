"""Numbers as French readers write them, for every template, through ``geodata.french``
(Babel): ``|nombre`` (1 234 567), ``|decimal`` (81,8), ``|pourcentage`` (15,5 % for 0.155),
``|distance`` (81,8 m), ``|euros`` (120 000 €), ``|taille`` (20 Mo), ``|coordonnee`` (5,40340:
a longitude or a latitude, the same digits as the explanations)."""

from __future__ import annotations

from flask import Flask

from geodata.french import coordinate, decimal, distance, euros, number, percent, size

__all__ = ["FILTERS", "init_app", "number", "size"]

FILTERS = {"nombre": number, "decimal": decimal, "pourcentage": percent,
           "distance": distance, "euros": euros, "taille": size, "coordonnee": coordinate}


def init_app(app: Flask) -> None:
    """Register the filters."""
    for name, function in FILTERS.items():
        app.add_template_filter(function, name)
