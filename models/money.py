"""Money as people read it: minor units and a currency code to a label."""

from __future__ import annotations

from decimal import Decimal

from models.event_rules import minor_exponent

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF "}


def money(amount: int, currency: str) -> str:
    """Minor units to a label: 2500 EUR -> '€25.00', 0 -> 'Free'."""
    if amount == 0:
        return "Free"
    exponent = minor_exponent(currency)
    value = f"{Decimal(amount).scaleb(-exponent):,.{exponent}f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{value}" if symbol else f"{value} {currency}"
