"""A record number no record can have, in any route's path, is 'Page not found' (404), never a server error.

Walks every route of the authorization matrix with a path parameter, as a user the matrix allows, once for each
parameter set to 10**20 (past every database's integer: SQLite failed with an overflow) and once to -1.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests.support import World
from tests.test_authorization_matrix import EXPECTED, PUBLIC, Caller, _call
from tests.test_authorization_matrix import callers as callers
from tests.test_authorization_matrix import world as world

OUT_OF_RANGE = (10**20, -1)


def _parameters(template: str) -> list[str]:
    import re

    return re.findall(r"\{([^}:]+)", template)


def test_the_matrix_walks_routes_with_record_numbers() -> None:
    assert sum(1 for _method, template in EXPECTED if _parameters(template)) > 80


@pytest.mark.parametrize("bad", OUT_OF_RANGE)
def test_every_record_number_out_of_range_is_page_not_found(bad: int, callers: dict[str, Caller], world: World) -> None:
    wrong: list[str] = []
    for (method, template), allowed in sorted(EXPECTED.items()):
        names = _parameters(template)
        if not names:
            continue
        principal = "mash_worker" if allowed == PUBLIC else sorted(allowed)[0]
        for name in names:
            ids: dict[str, Any] = {**world.path_ids, name: bad}
            response = _call(callers[principal], method, template, SimpleNamespace(path_ids=ids))  # type: ignore[arg-type]  # a world's ids
            if response.status_code != 404:
                wrong.append(f"{method} {template} with {name}={bad} as {principal}: {response.status_code}")
            elif template.startswith("/api/") and "detail" not in response.json():
                wrong.append(f"{method} {template}: the API's 404 is not its JSON problem")
    assert not wrong, "\n".join(wrong)
