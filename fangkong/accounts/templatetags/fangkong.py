from django import template
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import Role
from fangkong.accounts.permissions import can
from fangkong.core.audit_labels import object_type_label

register = template.Library()


@register.filter
def may(user, action: str) -> bool:
    """`{% if user|may:"unmask_personal_data" %}`: the role allows the action somewhere in scope."""
    return can(user, action)


@register.filter
def role_label(code: str) -> str:
    """`{{ entry.role|role_label }}`: 区指挥部, not district_commander."""
    if code in Role.values:
        return str(Role(code).label)
    return code and str(_("Other role"))


@register.filter
def record_kind(code: str) -> str:
    """`{{ entry.object_type|record_kind }}`: 检测轮次, not testing_round."""
    return object_type_label(code)
