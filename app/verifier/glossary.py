"""The programme's words a project holder may not know (« QPV », « proximité immédiate »,
« grand centre urbain »), each linked at its first use in a verdict to its definition on
``/aide`` (``|glossaire``): once per word, not at each of its uses, whatever sentence of the
verdict says it first."""

from __future__ import annotations

import re

from flask import url_for
from markupsafe import Markup

__all__ = ["GLOSSARY", "linked_to_glossary"]

GLOSSARY = (  # the word as a verdict writes it (any number), its definition's id on /aide
    (r"QPV", "aide-mot-qpv"),
    (r"proximité\s+immédiate", "aide-mot-proximite-immediate"),
    (r"grands?\s+centres?\s+urbains?", "aide-mot-grand-centre-urbain"),
)
_WORDS = re.compile("|".join(rf"\b(?P<w{i}>{words})\b" for i, (words, _) in enumerate(GLOSSARY)),
                    re.IGNORECASE)
_TAG = re.compile(r"(<[^>]*>)")
_LINK_OPENS, _LINK_CLOSES = re.compile(r"<a[\s>]", re.I), re.compile(r"</a\s*>", re.I)


def linked_to_glossary(markup: Markup) -> Markup:
    """``markup`` with the first use of each word of ``GLOSSARY`` in its text (not in its
    tags, nor in a link) a link to its definition, named as one for a screen reader."""
    linked: set[str] = set()
    in_link = False

    def link(found: re.Match) -> str:
        key = found.lastgroup
        if key in linked:
            return found[0]
        linked.add(key)
        anchor = GLOSSARY[int(key[1:])][1]
        return (f'<a href="{url_for("accueil.aide", _anchor=anchor)}">{found[0]}'
                '<span class="fr-sr-only"> (définition)</span></a>')

    parts = _TAG.split(str(markup))
    for i, part in enumerate(parts):
        if i % 2:  # a tag
            in_link = bool(_LINK_OPENS.match(part)) or (in_link and not _LINK_CLOSES.match(part))
        elif not in_link:
            parts[i] = _WORDS.sub(link, part)
    return Markup("".join(parts))
