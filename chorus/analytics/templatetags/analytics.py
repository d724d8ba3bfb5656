"""Template filters for the dashboard's figures."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()
# What an empty figure shows: a typographic dash, as in printed tables.
NO_VALUE = "\u2013"


@register.filter
def percent(rate: float | None, digits: int = 0) -> str:
    """0.423 → "42%" (localised); empty for no value."""
    if rate is None:
        return NO_VALUE
    return _("%(value)s%%") % {"value": number_format(rate * 100, digits, force_grouping=True)}


@register.filter
def percentage(value: float | str | None, digits: int = 0) -> str:
    """A figure already in percent (a number, or its text as JSON details keep it):
    30 → "30%" in English, "30 %" in French."""
    if value is None or value == "":
        return NO_VALUE
    return percent(float(value) / 100, digits)


@register.filter
def number(value: Any) -> str:
    """A whole number with the language's thousand separators."""
    if value is None:
        return NO_VALUE
    return number_format(int(value), 0, force_grouping=True)


@register.filter
def money(value: Decimal | None, currency: str = "") -> str:
    """An amount with two decimals and its currency code."""
    if value is None:
        return NO_VALUE
    amount = number_format(value, 2, force_grouping=True)
    return f"{amount} {currency}".strip()
