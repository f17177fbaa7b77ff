"""The one permission helper: who holds which role."""

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from kundeservice.roles import STAFF_ROLES, Role, user_has_role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_role_groups_exist_after_migrations() -> None:
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


def test_anonymous_and_inactive_users_hold_no_role() -> None:
    assert not user_has_role(AnonymousUser(), *Role.values)
    inactive = UserFactory(roles=[Role.PANEL_MANAGER], is_active=False)
    assert not user_has_role(inactive, Role.PANEL_MANAGER)


@pytest.mark.parametrize("role", [r for r in Role if r != Role.STAFF_ADMIN])
def test_a_user_holds_exactly_their_role(role: Role) -> None:
    user = UserFactory(roles=[role])
    assert user_has_role(user, role)
    others = [r for r in Role if r != role]
    assert not user_has_role(user, *others)


def test_staff_admin_may_act_as_any_staff_role_but_not_as_observer() -> None:
    admin = UserFactory(roles=[Role.STAFF_ADMIN])
    assert all(user_has_role(admin, role) for role in STAFF_ROLES)
    assert not user_has_role(admin, Role.OBSERVER)


def test_superuser_holds_every_role() -> None:
    root = UserFactory(is_superuser=True)
    assert all(user_has_role(root, role) for role in Role)


def test_roles_are_read_once_per_request(django_assert_num_queries: Any) -> None:
    user = UserFactory(roles=[Role.EDITOR])
    with django_assert_num_queries(1):
        for _ in range(5):
            user_has_role(user, Role.EDITOR, Role.QA_REVIEWER)
