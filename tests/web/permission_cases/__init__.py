"""Every case of the permission matrix, with the setup each part's cases need.

Order matters: each requester runs the whole list on one database, so the
destructive cases of a part come last within it, and parts run in this order.
"""

from __future__ import annotations

from tests.web.conftest import World
from tests.web.permission_cases import ads, cds, site
from tests.web.permission_cases.common import WHO, Case

PARTS = (site, cds, ads)
CASES: list[Case] = [case for part in PARTS for case in part.CASES]
#: The URL namespaces whose names must all appear in CASES.
NAMESPACES = ("api", "cds", "ads", "dws")


def set_up(world: World) -> None:
    for part in PARTS:
        part.setup(world)


__all__ = ["CASES", "NAMESPACES", "WHO", "Case", "set_up"]
