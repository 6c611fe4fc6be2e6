"""Grants kept across a view dropped and made again, for the migrations that rewrite a view
(``DROP VIEW`` then ``CREATE VIEW``: a new view has only its owner's privileges, and an
analyst's role given ``SELECT`` on it lost it silently at ``fabriques db upgrade``).

Shared by the migrations as plain SQL on the migration's connection (no model, no app
code): the view's ACL is read from ``pg_class.relacl`` before the drop and granted again
after, grantee by grantee (``PUBLIC`` included, ``WITH GRANT OPTION`` kept); the owner's
own privileges come with the new view.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import op

ACL = """
SELECT CASE WHEN acl.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(acl.grantee))
       END AS grantee,
       acl.privilege_type,
       acl.is_grantable
  FROM pg_class AS c
 CROSS JOIN LATERAL aclexplode(c.relacl) AS acl
 WHERE c.oid = to_regclass(%(view)s)
   AND acl.grantee <> c.relowner
 ORDER BY 1, 2
"""


def grants_of(view: str) -> list[str]:
    """The ``GRANT`` statements that give ``view``'s present privileges again (none for a
    view that does not exist, or has only its owner's)."""
    rows = op.get_bind().exec_driver_sql(ACL, {"view": view}).all()
    return [f"GRANT {privilege} ON {view} TO {grantee}"
            + (" WITH GRANT OPTION" if grantable else "")
            for grantee, privilege, grantable in rows]


@contextmanager
def grants_kept(view: str) -> Iterator[None]:
    """Around a ``DROP VIEW view`` and its ``CREATE VIEW``: the grants the view had before
    are given again to the view made."""
    grants = grants_of(view)
    yield
    for grant in grants:
        op.execute(grant)
