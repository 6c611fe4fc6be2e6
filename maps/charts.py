"""Quota charts as accessible SVG: one horizontal bar per category against its target line;
a range (decided to possible, ``QuotaLine.min`` to ``max``) is a solid bar continued by a
lighter, dotted one up to the maximum, never a bare zero.

Data in, ``Chart`` out: ``quota_chart(table)`` draws one group of a ``QuotaTable`` (the
overall lines by default), ``comparison_chart(before, after)`` the "avant / après" of a
what-if, ``bar_chart(...)`` any rows of counts. A ``Chart`` keeps its rows (what it shows),
its ``xml.etree`` element and renders itself with ``to_svg()`` (or ``__html__`` in a Jinja
template). Nothing here reads a database or a request.

Why a small ``xml.etree`` builder rather than matplotlib or pygal: the charts are a handful
of rectangles, lines and labels, and what matters is that each one is accessible and
predictable. matplotlib's SVG backend (about 40 MB installed, slow to import) writes
anonymous paths, glyphs as outlines unless configured otherwise, and neither ``role`` nor
``<title>``/``<desc>``: they would have to be patched in afterwards. pygal's SVG expects its
tooltip script from a CDN (forbidden here) and puts its own titles. Writing the elements
directly gives ``role="img"``, ``<title>``/``<desc>`` tied by ``aria-labelledby``, the
numbers as text next to each bar, ids unique per page, ``data-*`` attributes that tests
read, and a few kilobytes per chart with no new dependency.

Readable without colour: every bar carries its number in text, "0 à 227" for a range (and
its series name when two series are compared: the "avant" bars are also hatched); the
possible part of a range is dotted and outlined; a target is a dashed line plus the words
"cible N"; an overshoot is spelled out. Colours are those of the DSFR
with a contrast of at least 3:1 against white for shapes and 4.5:1 for text.
"""

from __future__ import annotations

import hashlib
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from geodata.french import agreed
from geodata.policy import (
    CATEGORY_NOT_ELIGIBLE,
    CATEGORY_OUTSIDE,
    CATEGORY_QPV,
    CATEGORY_UNDETERMINED,
    policy_title,
)
from geodata.quotas import FNT, LINE_KINDS, OVERALL, TOTAL, QuotaTable
from maps.chart_style import COLOURS, legend, patterns

__all__ = [
    "AFTER",
    "COMPACT_PLOT_WIDTH",
    "BEFORE",
    "CHART_LABELS",
    "COLOURS",
    "SVG_NS",
    "Chart",
    "ChartError",
    "Row",
    "bar_chart",
    "comparison_chart",
    "quota_chart",
]

SVG_NS = "http://www.w3.org/2000/svg"
BEFORE, AFTER = "avant", "après"
CHART_LABELS = {
    CATEGORY_QPV: "QPV ou proximité",
    FNT: "dont FNT",
    CATEGORY_OUTSIDE: "hors grands centres urbains",
    CATEGORY_NOT_ELIGIBLE: "non éligible",
    CATEGORY_UNDETERMINED: "à vérifier",
    TOTAL: "total",
}
"""Short French labels of the line kinds, as the charts show them."""

LABEL_WIDTH = 200
PLOT_WIDTH = 340  # then, on the right, room for the longest number label
COMPACT_PLOT_WIDTH = 300
"""Plot width of the small charts shown side by side (one per group), about 540 px wide."""
CHAR_WIDTH = 7.2  # a generous average advance of a 13 px character, to size that room
TOP = 34  # room for the legend
TOP_BARE = 12  # no legend: no series to tell apart, no target
BAR = 18
BAR_GAP = 4
ROW_GAP = 14
AXIS = 30
FONT = "Marianne, Arial, sans-serif"
MAX_TICKS = 6


class ChartError(ValueError):
    """Rows that cannot be drawn: no rows, a negative count, a mismatched series."""


@dataclass(frozen=True)
class Row:
    """One category of a chart: its label, one count per series (the decided count of a
    range), the range's maximum per series if any, and its target if any."""

    key: str
    label: str
    values: tuple[int, ...]
    target: int | None = None
    maxima: tuple[int, ...] | None = None

    def upper(self, number: int) -> int:
        """The top of the range of series ``number`` (its value when there is no range)."""
        return self.values[number] if self.maxima is None else self.maxima[number]


@dataclass(frozen=True, eq=False)
class Chart:
    """A drawn chart: what it shows (rows, series) and its SVG element."""

    chart_id: str
    title: str
    description: str
    series: tuple[str, ...]
    rows: tuple[Row, ...]
    element: ET.Element

    def to_svg(self) -> str:
        """The chart as an inline ``<svg>`` string (also valid standalone XML)."""
        return ET.tostring(self.element, encoding="unicode")

    def __html__(self) -> str:
        """The SVG, for Jinja: ``{{ chart }}`` inserts it as markup (already escaped)."""
        return self.to_svg()


def _rules(policy_name: str) -> str:
    """The rules as a person reads them: the policy's title (« Règles actuelles : … »), as
    the pages say it; a screen reader heard the code « current »."""
    return policy_title(policy_name) or f"politique « {policy_name} »"


def quota_chart(table: QuotaTable, group: str | None = OVERALL, chart_id: str | None = None,
                title: str | None = None, scale_max: int | None = None,
                plot_width: int = PLOT_WIDTH) -> Chart:
    """The counts of one group of ``table`` (overall by default) against their targets;
    ``scale_max`` gives several groups' charts the same scale."""
    lines = {line.category: line for line in table.lines if line.group == group}
    if not lines:
        raise ChartError(f"aucune ligne pour le groupe {group!r}")
    rows = [Row(kind, CHART_LABELS[kind], (lines[kind].min,), lines[kind].target,
                (lines[kind].max,)) for kind in LINE_KINDS]
    if title is None:
        title = f"Fabriques par catégorie face aux cibles, {_rules(table.policy_name)}"
        if table.by is not None:
            title += f", {table.by_title.lower()} {group or '(inconnu)'}"
    note = "" if any(row.target for row in rows) else (
        " Les cibles du programme sont nationales : pas de cible par groupe.")
    return bar_chart(rows, title, chart_id=chart_id or _slug(title), note=note,
                     scale_max=scale_max, plot_width=plot_width)


def comparison_chart(before: QuotaTable, after: QuotaTable, group: str | None = OVERALL,
                     chart_id: str | None = None, title: str | None = None) -> Chart:
    """The counts before and after a what-if, side by side, against the targets."""
    if before.by != after.by or before.policy_name != after.policy_name:
        raise ChartError("les deux tableaux doivent avoir la même politique et le même "
                         "regroupement")
    old = {line.category: line for line in before.lines if line.group == group}
    new = {line.category: line for line in after.lines if line.group == group}
    if not new:
        raise ChartError(f"aucune ligne pour le groupe {group!r}")
    rows = [Row(kind, CHART_LABELS[kind],
                (old[kind].min if kind in old else 0, new[kind].min), new[kind].target,
                (old[kind].max if kind in old else 0, new[kind].max))
            for kind in LINE_KINDS]
    if title is None:
        title = (f"Simulation : Fabriques par catégorie avant et après l'ajout de "
                 f"{after.candidates} {agreed('candidature(s)', after.candidates)}, "
                 f"{_rules(after.policy_name)}")
    return bar_chart(rows, title, series=(BEFORE, AFTER), chart_id=chart_id or _slug(title))


def bar_chart(rows: Sequence[Row], title: str, series: Sequence[str] = ("",),
              chart_id: str | None = None, note: str = "",
              scale_max: int | None = None, plot_width: int = PLOT_WIDTH) -> Chart:
    """Horizontal bars, one per row and series, each with its number (or range); dashed
    target lines. The axis covers ``scale_max`` (if given), every maximum and every target."""
    rows, series = tuple(rows), tuple(series)
    _check(rows, series)
    chart_id = chart_id or _slug(title)
    scale = _Scale.covering(max([row.upper(n) for row in rows for n in range(len(series))]
                                + [row.target or 0 for row in rows] + [scale_max or 0, 1]),
                            plot_width)
    longest = max(len(_value_label(name, value, row.target, True, row.upper(n)))
                  for row in rows
                  for n, (name, value) in enumerate(zip(series, row.values, strict=True)))
    ranges = any(row.upper(n) > row.values[n] for row in rows for n in range(len(series)))
    width = round(LABEL_WIDTH + plot_width + 16 + CHAR_WIDTH * longest)
    row_height = len(series) * BAR + (len(series) - 1) * BAR_GAP
    has_targets = any(row.target is not None for row in rows)
    first = TOP if has_targets or len(series) > 1 or ranges else TOP_BARE
    height = first + len(rows) * (row_height + ROW_GAP) + AXIS
    description = _describe(rows, series) + note
    svg = ET.Element("svg", {
        "xmlns": SVG_NS, "role": "img", "id": chart_id, "class": "fabriques-chart",
        "viewBox": f"0 0 {width} {height}", "width": str(width), "height": str(height),
        "aria-labelledby": f"{chart_id}-titre", "aria-describedby": f"{chart_id}-desc",
        "font-family": FONT, "font-size": "13",
    })
    ET.SubElement(svg, "title", {"id": f"{chart_id}-titre"}).text = title
    ET.SubElement(svg, "desc", {"id": f"{chart_id}-desc"}).text = description
    patterns(svg, chart_id)
    ET.SubElement(svg, "rect", {"width": str(width), "height": str(height),
                                "fill": COLOURS["background"]})
    legend(svg, chart_id, series, has_targets, ranges, LABEL_WIDTH)
    plot_bottom = height - AXIS
    _axis(svg, scale, first, plot_bottom)
    y = first
    for row in rows:
        _row(svg, chart_id, row, series, scale, y, row_height)
        y += row_height + ROW_GAP
    return Chart(chart_id, title, description, series, rows, svg)


def _check(rows: tuple[Row, ...], series: tuple[str, ...]) -> None:
    if not rows:
        raise ChartError("aucune ligne à dessiner")
    if not series:
        raise ChartError("au moins une série")
    for row in rows:
        if len(row.values) != len(series):
            raise ChartError(f"{row.label} : {len(row.values)} valeur(s) pour "
                             f"{len(series)} série(s)")
        if any(value < 0 for value in row.values) or (row.target is not None
                                                      and row.target < 0):
            raise ChartError(f"{row.label} : valeur négative")
        if row.maxima is not None and (len(row.maxima) != len(series) or any(
                high < low for low, high in zip(row.values, row.maxima, strict=True))):
            raise ChartError(f"{row.label} : maximum absent ou inférieur au minimum")


@dataclass(frozen=True)
class _Scale:
    """The value axis: from 0 to ``top`` over ``plot_width`` pixels, a tick every ``step``."""

    top: int
    step: int
    plot_width: int

    @classmethod
    def covering(cls, value: int, plot_width: int) -> _Scale:
        """The finest step of 1, 2 or 5 times a power of ten giving at most MAX_TICKS
        intervals up to ``value``, and the axis end it gives."""
        magnitude = 1
        while True:
            for factor in (1, 2, 5):
                step = factor * magnitude
                if math.ceil(value / step) <= MAX_TICKS:
                    return cls(max(1, math.ceil(value / step)) * step, step, plot_width)
            magnitude *= 10

    def x(self, value: float) -> float:
        """The horizontal position of ``value``."""
        return LABEL_WIDTH + self.plot_width * value / self.top


def _row(svg: ET.Element, chart_id: str, row: Row, series: tuple[str, ...], scale: _Scale,
         y: int, row_height: int) -> None:
    group = ET.SubElement(svg, "g", {"class": "row", "data-category": row.key})
    label = ET.SubElement(group, "text", {
        "x": str(LABEL_WIDTH - 10), "y": _f(y + row_height / 2 + 4.5), "text-anchor": "end",
        "fill": COLOURS["text"], "class": "row-label"})
    label.text = row.label
    if row.key == TOTAL:
        label.set("font-weight", "bold")
    target_x = None if row.target is None else scale.x(row.target)
    for number, (name, value) in enumerate(zip(series, row.values, strict=True)):
        bar_y = y + number * (BAR + BAR_GAP)
        before = len(series) > 1 and number < len(series) - 1
        fill = f"url(#{chart_id}-hachures)" if before else COLOURS["bar"]
        width = scale.x(value) - LABEL_WIDTH
        upper = row.upper(number)
        rect = ET.SubElement(group, "rect", {
            "class": "bar", "x": str(LABEL_WIDTH), "y": str(bar_y), "width": _f(width),
            "height": str(BAR), "fill": fill, "data-value": str(value),
            "data-max": str(upper), "data-series": name,
        })
        if before:
            rect.set("stroke", COLOURS["bar_before"])
        elif row.key == CATEGORY_UNDETERMINED:  # drawn as the legend's « à vérifier »: dotted
            rect.attrib.update({"fill": f"url(#{chart_id}-possible)",
                                "stroke": COLOURS["possible"], "stroke-dasharray": "3 2"})
        if upper > value:
            ET.SubElement(group, "rect", {
                "class": "bar-possible", "x": _f(scale.x(value)), "y": str(bar_y + 1),
                "width": _f(scale.x(upper) - scale.x(value)), "height": str(BAR - 2),
                "fill": f"url(#{chart_id}-possible)", "stroke": COLOURS["possible"],
                "stroke-dasharray": "3 2", "data-min": str(value), "data-max": str(upper),
                "data-series": name})
        text_x = max(scale.x(upper), target_x or 0) + 6
        value_text = ET.SubElement(group, "text", {
            "class": "value", "x": _f(text_x), "y": _f(bar_y + BAR / 2 + 4.5),
            "fill": COLOURS["text"], "data-series": name})
        value_text.text = _value_label(name, value, row.target,
                                       number == len(series) - 1, upper)
    if target_x is not None:
        ends = {"x1": _f(target_x), "x2": _f(target_x), "y1": str(y - 4),
                "y2": str(y + row_height + 4)}
        ET.SubElement(group, "line", {**ends, "stroke": COLOURS["background"],
                                      "stroke-width": "5.5"})  # a halo over dark bars
        ET.SubElement(group, "line", {
            "class": "target", **ends, "stroke": COLOURS["target"], "stroke-width": "2.5",
            "stroke-dasharray": "5 3", "data-target": str(row.target),
        })


def _value_label(name: str, value: int, target: int | None, last: bool,
                 upper: int | None = None) -> str:
    shown = _range(value, upper)
    text = f"{name} : {shown}" if name else shown
    if target is None or not last:
        return text
    if value > target:
        return f"{text} / cible {_number(target)} (dépassée de {_number(value - target)})"
    return f"{text} / cible {_number(target)}"


def _range(value: int, upper: int | None) -> str:
    if upper is None or upper == value:
        return _number(value)
    return f"{_number(value)} à {_number(upper)}"


def _axis(svg: ET.Element, scale: _Scale, first: int, bottom: int) -> None:
    axis = ET.SubElement(svg, "g", {"class": "axis", "aria-hidden": "true"})
    for tick in range(0, scale.top + 1, scale.step):
        x = _f(scale.x(tick))
        ET.SubElement(axis, "line", {"x1": x, "x2": x, "y1": str(first - 6), "y2": str(bottom),
                                     "stroke": COLOURS["grid"] if tick else COLOURS["muted"]})
        text = ET.SubElement(axis, "text", {"x": x, "y": str(bottom + 16), "font-size": "11",
                                            "text-anchor": "middle",
                                            "fill": COLOURS["muted"]})
        text.text = _number(tick)


def _describe(rows: tuple[Row, ...], series: tuple[str, ...]) -> str:
    parts = []
    for row in rows:
        shown = [_range(value, row.upper(n)) for n, value in enumerate(row.values)]
        if len(series) == 1:
            values = shown[0] if row.upper(0) == row.values[0] else f"de {shown[0]}"
        else:
            values = ", ".join(f"{name} {text}"
                               for name, text in zip(series, shown, strict=True))
        if row.target is not None:
            remaining = row.target - row.values[-1]
            low = row.target - row.upper(len(series) - 1)
            values += (f" pour une cible de {_number(row.target)} ("
                       + (f"reste {_range(max(low, 0), remaining)}" if remaining >= 0
                          else f"dépassée de {_number(-remaining)}") + ")")
        parts.append(f"{row.label} : {values}")
    return " ; ".join(parts) + "."


def _number(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def _f(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _slug(text: str) -> str:
    """An id from a title: readable start, and a digest so that two titles never share it."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-")
    digest = hashlib.sha1(text.encode()).hexdigest()[:8]
    return f"graphique-{slug}-{digest}" if slug else f"graphique-{digest}"
