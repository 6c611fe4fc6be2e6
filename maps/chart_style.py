"""The look of the quota charts (``maps.charts``): DSFR colours, the fill patterns and the
legend. Shapes keep a contrast of at least 3:1 against white, text 4.5:1; nothing depends on
colour alone (hatches, dots, dashes, and every number in text).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

__all__ = ["COLOURS", "legend", "patterns"]

COLOURS = {
    "bar": "#000091",  # DSFR bleu France: 14.9:1 on white
    "bar_before": "#6a6af4",  # bleu France main 525: 4.2:1 on white, hatched
    "target": "#ce0500",  # DSFR rouge erreur: 5.8:1 on white, dashed, white halo on bars
    "text": "#161616",  # DSFR text: 18:1
    "muted": "#666666",  # axis labels: 5.7:1
    "grid": "#dddddd",  # decoration only
    "possible": "#6a6af4",  # outline and dots of the possible part: 4.2:1 on white
    "background": "#ffffff",
}


def legend(svg: ET.Element, chart_id: str, series: tuple[str, ...], targets: bool,
           ranges: bool, x: float) -> None:
    """The legend: the series (the earlier ones hatched), "décidées" and "possibles" when a
    row is a range, and the target line."""
    group = ET.SubElement(svg, "g", {"class": "legend"})
    if ranges:
        for name, attributes in (
                ("décidées", {"fill": COLOURS["bar"]}),
                ("possibles (à vérifier)", {"fill": f"url(#{chart_id}-possible)",
                                            "stroke": COLOURS["possible"],
                                            "stroke-dasharray": "3 2"})):
            ET.SubElement(group, "rect", {"x": str(x), "y": "8", "width": "22",
                                           "height": "14", **attributes})
            ET.SubElement(group, "text", {"x": str(x + 28), "y": "20",
                                           "fill": COLOURS["text"]}).text = name
            x += 40 + 7 * len(name)
    if len(series) > 1:
        for number, name in enumerate(series):
            before = number < len(series) - 1
            swatch = ET.SubElement(group, "rect", {
                "x": str(x), "y": "8", "width": "22", "height": "14",
                "fill": f"url(#{chart_id}-hachures)" if before else COLOURS["bar"]})
            if before:
                swatch.set("stroke", COLOURS["bar_before"])
            text = ET.SubElement(group, "text", {"x": str(x + 28), "y": "20",
                                                  "fill": COLOURS["text"]})
            text.text = name
            x += 40 + 8 * len(name)
    if targets:
        ET.SubElement(group, "line", {
            "x1": str(x + 11), "x2": str(x + 11), "y1": "5", "y2": "25",
            "stroke": COLOURS["target"], "stroke-width": "2.5", "stroke-dasharray": "5 3"})
        text = ET.SubElement(group, "text", {"x": str(x + 28), "y": "20",
                                              "fill": COLOURS["text"]})
        text.text = "cible du programme"


def patterns(svg: ET.Element, chart_id: str) -> None:
    """The fills shared by the chart: hatches (an earlier series), dots (a possible part)."""
    defs = ET.SubElement(svg, "defs")
    pattern = ET.SubElement(defs, "pattern", {
        "id": f"{chart_id}-hachures", "width": "6", "height": "6",
        "patternUnits": "userSpaceOnUse", "patternTransform": "rotate(45)"})
    ET.SubElement(pattern, "rect", {"width": "6", "height": "6", "fill": "#e3e3fd"})
    ET.SubElement(pattern, "line", {"x1": "0", "y1": "0", "x2": "0", "y2": "6",
                                    "stroke": COLOURS["bar_before"], "stroke-width": "3"})
    dots = ET.SubElement(defs, "pattern", {
        "id": f"{chart_id}-possible", "width": "5", "height": "5",
        "patternUnits": "userSpaceOnUse"})
    ET.SubElement(dots, "rect", {"width": "5", "height": "5", "fill": "#f5f5fe"})
    ET.SubElement(dots, "circle", {"cx": "2.5", "cy": "2.5", "r": "1.1",
                                   "fill": COLOURS["possible"]})
