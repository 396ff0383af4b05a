"""Places by their names on every page: `{% load areas %}`."""

from django import template

register = template.Library()


@register.filter
def area_name(code: str, names: dict[str, str]) -> str:
    """`{{ row.area_code|area_name:names }}`, `names` from `geo.selectors.area_labels` (one
    query a level for the whole page): 瓦屋李社区第一网格, not 410172-001-001-001. A code
    with no node in the tree is shown as it is, the only hint there is."""
    return names.get(code) or code
