"""Role × action × in-scope / out-of-scope, driven by the matrix itself."""

from pathlib import Path

import pytest

from devtools.fixtures import G111, G211, S1, D
from fangkong.accounts.models import Role
from fangkong.accounts.permissions import ACTIONS, MATRIX, can, markdown_matrix, role_allows

CASES = [(role, action) for role in Role.values for action in ACTIONS]


class Actor:
    is_authenticated = True
    is_active = True
    revoked_at = None

    def __init__(self, role, scope_code):
        self.role, self.scope_code = role, scope_code


@pytest.mark.parametrize(("role", "action"), CASES)
def test_role_action_in_and_out_of_scope(role, action):
    actor = Actor(role, S1)
    allowed = action in MATRIX[role]
    assert can(actor, action, f"{S1}-001-001") is allowed  # below the scope node
    assert can(actor, action, S1) is allowed  # the node itself
    assert can(actor, action, G211) is False  # another sub-district
    assert can(actor, action, D) is False  # above the scope node


def test_scope_prefix_does_not_leak_to_lookalike_codes():
    actor = Actor(Role.DISTRICT_COMMANDER, "410172-001")
    assert not can(actor, "view_residents", "410172-0011")


def test_every_role_has_a_row_and_unknown_actions_fail_loudly():
    assert set(MATRIX) == set(Role.values)
    with pytest.raises(KeyError):
        role_allows(Role.DISTRICT_COMMANDER, "launch_rockets")


def test_anonymous_inactive_and_revoked_actors_may_do_nothing():
    anon = Actor(Role.DISTRICT_COMMANDER, D)
    anon.is_authenticated = False
    inactive = Actor(Role.DISTRICT_COMMANDER, D)
    inactive.is_active = False
    revoked = Actor(Role.DISTRICT_COMMANDER, D)
    revoked.revoked_at = "yesterday"
    for actor in (None, anon, inactive, revoked):
        assert not can(actor, "view_areas", G111)


def test_docs_permissions_md_matches_the_matrix():
    doc = Path(__file__).resolve().parents[3] / "docs" / "permissions.md"
    assert doc.read_text(encoding="utf-8") == markdown_matrix()
