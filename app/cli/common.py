"""What the command groups share: how a command says it failed."""

from __future__ import annotations

from typing import NoReturn

import click

__all__ = ["fail"]


def fail(message: str, status: int = 1) -> NoReturn:
    """Say what went wrong on standard error (« Erreur — … »), then exit with ``status``."""
    click.echo(message, err=True)
    raise SystemExit(status)
