"""The record writer's decisions that need no database (the writes themselves: test_merge.py)."""

from __future__ import annotations

import pytest

from server.registry.models import EventKind
from server.registry.records import announces_update


@pytest.mark.parametrize("changed, kinds, expected", [
    (["phone"], [], True),
    ([], [], True),  # a new version with nothing else to say for it is still announced
    (["phone"], [EventKind.MOVED], True),
    ([], [EventKind.MOVED], False),  # the move's event speaks for it
    (["phone"], [EventKind.DEPARTED], False),
    (["phone"], [EventKind.MOVED, EventKind.DEPARTED], False),
])
def test_an_update_is_announced_unless_a_move_or_departure_speaks_for_it(changed, kinds, expected):
    assert announces_update(changed, kinds) is expected
