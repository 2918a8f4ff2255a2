from __future__ import annotations

from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def euro(value: Decimal | None) -> str:
    """€ and the amount in the active language's format, never broken over two lines."""
    if value is None:
        return "\u2013"  # an en dash: no amount
    return f"€\u00a0{floatformat(value, '2g')}"
