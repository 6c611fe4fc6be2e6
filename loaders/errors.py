"""The one error a load raises: what was wrong, in which file, at which row and field."""

from __future__ import annotations

__all__ = ["LoadError"]


class LoadError(ValueError):
    """A file that cannot be loaded; nothing was written."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        row: int | str | None = None,
        field: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.path = path
        self.row = row
        self.field = field

    def __str__(self) -> str:
        where = [str(self.path)] if self.path else []
        if self.row is not None:
            where.append(self.row if isinstance(self.row, str) else f"ligne {self.row}")
        if self.field:
            where.append(f"champ « {self.field} »")
        return f"{', '.join(where)} : {self.message}" if where else self.message
