"""Demo accounts: one user per role, with a password printed by ``seed_demo``."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from kundeservice.roles import Role

DEMO_PASSWORD = "demo-passord"  # noqa: S105 - printed for newcomers; seed_demo refuses production


def seed(*, stdout_lines: list[str]) -> None:
    """Create ``admin`` (superuser) and one user per role; safe to run again."""
    User = get_user_model()
    admin, _created = User.objects.get_or_create(
        username="admin",
        defaults={"email": "admin@kundeservice.local", "is_staff": True, "is_superuser": True},
    )
    admin.set_password(DEMO_PASSWORD)
    admin.save()
    stdout_lines.append(f"  admin / {DEMO_PASSWORD}  (superuser, /admin/)")
    for role in Role:
        user, _created = User.objects.get_or_create(
            username=role.value,
            defaults={"email": f"{role.value}@kundeservice.local", "first_name": str(role.label)},
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.add(Group.objects.get(name=role.value))
        stdout_lines.append(f"  {role.value} / {DEMO_PASSWORD}  ({role.label})")
