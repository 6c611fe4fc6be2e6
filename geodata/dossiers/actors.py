"""Who did something to a dossier, as it is stored and as a person reads it.

An event is signed by the account's email, or, from the command line, by
« ligne de commande (<compte système>) » (``command_line_actor``): the system account stays
in the stored event, for an audit. A page says the latter as a person understands it
(``actor_said``): « l'exploitant du service (ligne de commande, compte système root) », the
people who run the service's commands, its system account still said plainly.
"""

from __future__ import annotations

import getpass
import re

__all__ = ["COMMAND_LINE", "actor_said", "command_line_actor"]

COMMAND_LINE = "ligne de commande"
_STORED = re.compile(rf"{COMMAND_LINE} \((?P<account>.*)\)")


def command_line_actor() -> str:
    """The stored signature of what a command of ``fabriques`` does (its system account)."""
    return f"{COMMAND_LINE} ({getpass.getuser()})"


def actor_said(actor: str | None) -> str:
    """``actor`` as a page says it: an email as it is, the command line as the service's
    operator (the system account in words)."""
    found = _STORED.fullmatch(actor or "")
    if found is None:
        return actor or ""
    return f"l'exploitant du service ({COMMAND_LINE}, compte système {found['account']})"
