"""Comments kept across a view dropped and made again, for the migrations that rewrite a view
(``DROP VIEW`` then ``CREATE VIEW``: a new view and its columns have no comment, and the
descriptions an analyst reads in QGIS or psql, migration 0026, went with the old one).

Shared by the migrations as plain SQL on the migration's connection (no model, no app
code), beside ``view_grants.grants_kept``: the view's comment and its columns' are read
before the drop; after the new view is made, each is written again where the new view has a
column of that name and gives it no comment of its own (a ``COMMENT ON`` in the migration's
text prevails: a view whose meaning changed says so).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

COMMENTS = """
SELECT NULL AS column_name, obj_description(c.oid, 'pg_class') AS comment
  FROM pg_class AS c WHERE c.oid = to_regclass(%(view)s)
UNION ALL
SELECT a.attname, col_description(a.attrelid, a.attnum)
  FROM pg_attribute AS a
 WHERE a.attrelid = to_regclass(%(view)s) AND a.attnum > 0 AND NOT a.attisdropped
"""


def comments_of(view: str) -> dict[str | None, str | None]:
    """The view's comment (key None) and each column's, by column name (None: no comment);
    empty for a view that does not exist."""
    rows = op.get_bind().exec_driver_sql(COMMENTS, {"view": view}).all()
    return dict(rows)


def comment_statement(target: str, comment: str) -> sa.TextClause:
    """``COMMENT ON target IS 'comment'`` as a statement for ``op.execute``, the text's
    quotes doubled and its colons escaped (a « :mot » is not a bound parameter)."""
    literal = "'" + comment.replace("'", "''") + "'"
    return sa.text(f"COMMENT ON {target} IS {literal}".replace(":", "\\:"))


@contextmanager
def comments_kept(view: str) -> Iterator[None]:
    """Around a ``DROP VIEW view`` and its ``CREATE VIEW``: the comments the view and its
    columns had are given again where the view made has none."""
    before = comments_of(view)
    yield
    after = comments_of(view)
    for column, comment in before.items():
        if comment and column in after and not after[column]:
            quoted = '"' + str(column).replace('"', '""') + '"'
            target = f"VIEW {view}" if column is None else f"COLUMN {view}.{quoted}"
            op.execute(comment_statement(target, comment))
