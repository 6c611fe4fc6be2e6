"""Find a commune in what a person typed, without the address service: the fallback of a
check when the BAN cannot be reached.

Names are compared once normalised (``normalise``): case, accents, hyphens and apostrophes
do not matter, and "St" / "Ste" stand for "Saint" / "Sainte". A five-digit code typed alone
is read both ways: the communes its postal code serves (from the table ``postcodes`` a
caller gives, ``geodata.postcodes``) and the commune of that INSEE code, all listed when they
differ (« 13013 » is Marseille by post, Belcodène by INSEE code: a person who typed a postal
code got Belcodène's verdict); without a table it is an INSEE code. Beside other words it is
read as a postal code (« 13013 MARSEILLE » is in Marseille), whose first digits give the
département and narrow homonyms down. A municipal
arrondissement after the name (« MARSEILLE 13E ARRONDISSEMENT ») is its commune's. Several
communes left: the caller lists them for the person to choose, never one picked silently.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["CODE", "CommuneDirectory", "CommuneEntry", "CommuneLookupError", "names_surely",
           "normalise", "postcode_departements"]

ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
ARTICLES = ("la", "le", "les", "l")
ORDINAL = re.compile(r"^\d{1,2}(?:e|er|eme|ieme)?$")  # « 13e », « 1er », « 13 »
MAX_NAME_WORDS = 10  # the longest commune names have about ten words
CODE = re.compile(r"^(?:\d{5}|2[ab]\d{3})$")


class CommuneLookupError(ValueError):
    """Nothing that looks like a commune in the text."""


@dataclass(frozen=True)
class CommuneEntry:
    """A commune of the official list: its code, name and département."""

    code: str
    name: str
    departement: str | None
    departement_name: str | None = None


def normalise(text: str) -> list[str]:
    """The words of ``text`` lower-cased, without accents, "st" read "saint"."""
    plain = unicodedata.normalize("NFKD", text.casefold().replace("œ", "oe").replace("æ", "ae"))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return [ABBREVIATIONS.get(word, word) for word in re.sub(r"[^0-9a-z]+", " ", plain).split()]


def _without_arrondissement(words: list[str]) -> list[str]:
    """The words without a closing « 13e arrondissement » (« 1er arr »): the commune's name
    then closes the text."""
    if len(words) >= 2 and words[-1] in ("arrondissement", "arr") and ORDINAL.match(words[-2]):
        return words[:-2]
    if words and ORDINAL.match(words[-1]) and len(words) >= 2:  # « PARIS 13E »
        return words[:-1]
    return words


def postcode_departements(postcode: str) -> set[str]:
    """The départements a postal code may belong to (Corsica: both; overseas: three digits)."""
    if postcode.startswith("20"):
        return {"2A", "2B"}
    if postcode.startswith("97") or postcode.startswith("98"):
        return {postcode[:3]}
    return {postcode[:2]}


def names_surely(text: str, found: list[CommuneEntry]) -> bool:
    """Whether ``text`` surely names the one commune ``found``: it holds a code (postal or
    INSEE), or is the commune's whole name. A street's last word may be a commune's name
    (« 8 bd du port » closes with Port, Ain): without a code, only the whole name is sure."""
    words = _without_arrondissement(normalise(text))
    if len(found) != 1 or not words:
        return False
    name = normalise(found[0].name)
    return any(CODE.match(word) for word in words) or words == name or (
        words[:len(name)] == name and words[len(name):] in _departement_words(found[0]))


def _departement_words(entry: CommuneEntry) -> list[list[str]]:
    """How a person names a commune's département after it: its name, its code."""
    said = [normalise(entry.departement or "")]
    if entry.departement_name:
        said.append(normalise(entry.departement_name))
    return said


class CommuneDirectory:
    """The communes of the official list, by code and by normalised name."""

    def __init__(self, entries):
        self.by_code = {entry.code.casefold(): entry for entry in entries}
        self.by_name: dict[str, list[CommuneEntry]] = {}
        self.departements: dict[str, str] = {}  # a département's name or code -> its code
        self.departement_names: dict[str, str] = {}  # a département's code -> its name
        for entry in entries:
            self.by_name.setdefault(" ".join(normalise(entry.name)), []).append(entry)
            for words in _departement_words(entry):
                self.departements[" ".join(words)] = entry.departement
            if entry.departement and entry.departement_name:
                self.departement_names[entry.departement] = entry.departement_name

    def __len__(self) -> int:
        return len(self.by_code)

    def find(self, text: str, postcodes: Mapping[str, Sequence[str]] | None = None
             ) -> list[CommuneEntry]:
        """The communes ``text`` names: one for a clear answer, several for homonyms, none
        when nothing matches. A code alone is a postal code of ``postcodes`` or an INSEE
        code (``coded``); otherwise the commune closes
        the text, or sits just after (or just before) its postal code: "8 rue du Port 80000
        Amiens", "Rodez 12000", "Saint-Denis". A postal code keeps the communes of its
        département: a word inside the street ("rue", "Y") is not taken for a commune."""
        words = _without_arrondissement([w for w in normalise(text) if w != "cedex"])
        if not words:
            raise CommuneLookupError("aucun nom de commune à chercher")
        codes = [(i, w) for i, w in enumerate(words) if CODE.match(w)]
        if len(words) == 1 and codes:
            return self.coded(words[0], postcodes)
        if not codes and (within := self._before_departement(words)):
            return within
        if codes:
            at = codes[-1][0]
            segments = [words[at + 1:], words[:at]]
        else:
            segments = [words]
        candidates = next((found for found in map(self._closing, segments) if found), [])
        if codes:  # a commune of another département is a word of the street (« rue Y »)
            departements = postcode_departements(codes[-1][1].upper())
            candidates = [c for c in candidates if c.departement in departements]
        return sorted(candidates, key=lambda c: (c.departement or "", c.code))

    def departements_named(self, text: str) -> list[str]:
        """The codes of the départements ``text`` names whole, by code or by name with or
        without its article (« Réunion », « la Guadeloupe », « l'Ain »)."""
        words = normalise(text)
        if len(words) > 1 and words[0] in ARTICLES:
            words = words[1:]
        if not words:
            return []
        found = {self.departements.get(" ".join(said)) for said in
                 (words, *([article, *words] for article in ARTICLES))}
        return sorted(code for code in found if code)

    def coded(self, code: str, postcodes: Mapping[str, Sequence[str]] | None = None
              ) -> list[CommuneEntry]:
        """The communes a code typed alone may name: those its postal code serves, and the
        one whose INSEE code it is."""
        served = [self.by_code[insee.casefold()] for insee in (postcodes or {}).get(code, ())
                  if insee.casefold() in self.by_code]
        insee = self.by_code.get(code.casefold())
        found = {*served, *([insee] if insee else [])}
        return sorted(found, key=lambda c: (c.departement or "", c.code))

    def _before_departement(self, words: list[str]) -> list[CommuneEntry]:
        """The communes named just before their département's name or code (« Saint-Denis
        La Réunion », « Saint-Denis 974 »): La Réunion is also a commune of Lot-et-Garonne,
        which was all a person of Saint-Denis (974) was offered."""
        for size in range(min(3, len(words) - 1), 0, -1):
            departement = self.departements.get(" ".join(words[-size:]))
            if departement is not None:
                found = [c for c in self._closing(words[:-size]) if c.departement == departement]
                if found:
                    return sorted(found, key=lambda c: c.code)
        return []

    def _closing(self, words: list[str]) -> list[CommuneEntry]:
        """The communes whose whole name ends ``words``, the longest name first."""
        end = len(words)
        for start in range(max(0, end - MAX_NAME_WORDS), end):  # longest first
            found = self.by_name.get(" ".join(words[start:end]))
            if found:
                return list(found)
        return []
