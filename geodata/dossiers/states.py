"""The instruction's states and the moves allowed between them, read from ``etats.toml``.

A move is allowed along a transition of the file, or one step back along one (with a
motivation); a move to a refusal or to "irrecevable" needs a motivation too. The jury's
decisions are not moves of the instruction: ``instruction_targets`` leaves them out, and a
decision is not undone by a step back (``geodata.storage.jury`` reverses it while its
session is open).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = ["STATES_FILE", "Workflow", "workflow"]

STATES_FILE = Path(__file__).with_name("etats.toml")


@dataclass(frozen=True)
class Workflow:
    labels: dict[str, str]  # state -> French label, in the order of the instruction
    forward: dict[str, tuple[str, ...]]
    needs_motivation: frozenset[str]
    jury_decisions: frozenset[str]
    avis: dict[str, str]  # code -> French label
    avis_asked: str  # the state where a prefecture's avis is awaited
    avis_given: str  # the state the dossier moves to once it is given

    @property
    def first(self) -> str:
        return next(iter(self.labels))

    @property
    def instruction_targets(self) -> tuple[str, ...]:
        """The states an instructor moves dossiers to: the jury's decisions excepted, but for
        a step back to one (« Conventionné » by mistake, back to « Lauréat »)."""
        return tuple(state for state in self.labels
                     if state != self.first and (state not in self.jury_decisions
                                                 or self.forward.get(state)))

    def target_label(self, state: str) -> str:
        """A state as the instructor's list of moves offers it: a jury's decision there is
        only a step back to it (« Lauréat (retour depuis « Conventionné ») »), so is the state
        after the avis (reached forward by giving the avis)."""
        label = self.labels[state]
        if state in self.jury_decisions or state == self.avis_given:
            after = " ou ".join(f"« {self.labels[s]} »" for s in self.forward.get(state, ()))
            return f"{label} (retour depuis {after})"
        return label

    def avis_refusal(self, current: str) -> str | None:
        """Why a prefecture cannot give (or change) its avis in state ``current``: not yet
        asked, the avis step passed, or a dossier that never reaches it."""
        if current in (self.avis_asked, self.avis_given):
            return None
        label = self.labels[current]
        if self.avis_asked in self.reachable(current):
            return (f"aucun avis n'est demandé pour ce dossier (état « {label} » ; "
                    f"l'instruction le passe d'abord à « {self.labels[self.avis_asked]} »)")
        if current in self.reachable(self.avis_given):
            return f"l'étape de l'avis est passée : le dossier est « {label} »"
        return f"aucun avis n'est demandé pour un dossier « {label} »"

    @property
    def decided(self) -> frozenset[str]:
        """The jury's decisions and the states after them."""
        return frozenset(self.jury_decisions).union(
            *(self.reachable(state) for state in self.jury_decisions))

    def reachable(self, state: str) -> set[str]:
        """The states reached from ``state`` by moves forward, one or more."""
        found, todo = set(), [state]
        while todo:
            for target in self.forward.get(todo.pop(), ()):
                if target not in found:
                    found.add(target)
                    todo.append(target)
        return found

    def is_back(self, current: str, target: str) -> bool:
        return current in self.forward.get(target, ())

    def refusal(self, current: str, target: str, motivation: str | None, *,
                has_avis: bool) -> str | None:
        """Why ``current`` → ``target`` is not allowed, or None when it is; the state after
        the avis is reached by giving it, or by a step back for a dossier that has one."""
        if target not in self.labels:
            return f"état inconnu : {target!r} (états : {', '.join(self.labels)})"
        if target == current:
            return f"déjà « {self.labels[target]} »"
        if target == self.avis_given and not has_avis:
            return (f"« {self.labels[target]} » suit l'avis de la préfecture, que ce dossier "
                    "n'a pas : la préfecture le donne sur la fiche du dossier, qui passe "
                    "alors à cet état")
        back = self.is_back(current, target)
        if back and current in self.jury_decisions:
            return ("une décision du jury ne s'annule que par le jury, tant que sa session "
                    "est ouverte")
        if target not in self.forward.get(current, ()) and not back:
            allowed = [state for state in (
                *self.forward.get(current, ()),
                *(state for state, nexts in self.forward.items() if current in nexts))
                if state != self.avis_given or has_avis]  # reached by giving the avis
            return (f"de « {self.labels[current]} », on ne passe pas à "
                    f"« {self.labels[target]} » (possibles : "
                    f"{', '.join(f'« {self.labels[state]} »' for state in allowed) or 'aucun'})")
        if (back or target in self.needs_motivation) and not (motivation or "").strip():
            why = "un retour en arrière" if back else f"« {self.labels[target]} »"
            return f"motivation obligatoire pour {why}"
        return None

    def instruction_refusal(self, current: str, target: str, motivation: str | None, *,
                            has_avis: bool) -> str | None:
        """``refusal`` of a move an instructor asks (the dossiers' list): the jury's
        decisions are not among them, but for a step back to one."""
        if target not in self.instruction_targets:
            return f"« {target} » n'est pas un état de l'instruction"
        if target in self.jury_decisions and not self.is_back(current, target):
            return (f"« {self.labels[target]} » est une décision du jury : elle se prend sur "
                    "la page du jury (ou par « fabriques dossiers decider »)")
        return self.refusal(current, target, motivation, has_avis=has_avis)


@cache
def workflow(path: Path = STATES_FILE) -> Workflow:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    labels = {state["code"]: state["libelle"] for state in data["etats"]}
    forward = {state: tuple(targets) for state, targets in data["transitions"].items()}
    named = set(forward) | {t for targets in forward.values() for t in targets} \
        | set(data["motivation_requise"]) | set(data["decisions_du_jury"]) \
        | {data["avis_demande"], data["avis_rendu"]}
    unknown = named - set(labels)
    if unknown:
        raise ValueError(f"{path.name} : états non déclarés : {', '.join(sorted(unknown))}")
    return Workflow(labels, forward, frozenset(data["motivation_requise"]),
                    frozenset(data["decisions_du_jury"]),
                    {avis["code"]: avis["libelle"] for avis in data["avis"]},
                    data["avis_demande"], data["avis_rendu"])
