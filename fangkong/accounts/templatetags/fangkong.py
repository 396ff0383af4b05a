from django import template

from fangkong.accounts.permissions import can

register = template.Library()


@register.filter
def may(user, action: str) -> bool:
    """`{% if user|may:"unmask_personal_data" %}`: the role allows the action somewhere in scope."""
    return can(user, action)
