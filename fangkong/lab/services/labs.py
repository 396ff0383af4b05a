"""Laboratories and their staff."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import Role, User
from fangkong.core.errors import RuleViolation
from fangkong.lab.models import Lab


@transaction.atomic
def ensure_lab_member(*, lab_name: str, user: User) -> Lab:
    """The laboratory of that name (created when missing) with `user` on its staff.

    Only lab technicians report results, so only they join a laboratory's staff.
    """
    if user.role != Role.LAB_TECHNICIAN:
        raise RuleViolation(
            field="user", code="role", message=_("Only lab technicians join a laboratory's staff.")
        )
    lab, _created = Lab.objects.get_or_create(name=lab_name)
    lab.members.add(user)
    return lab
