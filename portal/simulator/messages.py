"""Money formatting for the current locale, and translated messages for the rules' codes."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from babel import Locale
from babel.numbers import format_currency as babel_format_currency
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from portal.simulator import rules


def money(
    minor: int | Fraction | Decimal, currency: str, exponent: int, cents: bool = False
) -> str:
    """``minor`` units (or a Decimal in major units) as a localised amount; whole amounts
    without the decimals unless ``cents``."""
    value = minor if isinstance(minor, Decimal) else rules.to_major(minor, exponent)
    locale = get_locale() or Locale.parse("en")
    if not cents and value == value.to_integral_value():
        pattern = locale.currency_formats["standard"].pattern.replace(".00", "")
        return babel_format_currency(
            value, currency, format=pattern, locale=locale, currency_digits=False
        )
    return babel_format_currency(value, currency, locale=locale)


def signed_money(minor: int | Decimal, currency: str, exponent: int, cents: bool = False) -> str:
    text = money(abs(minor), currency, exponent, cents)
    if minor > 0:
        return "+" + text
    if minor < 0:
        return "\u2212" + text
    return text


RESPONSE_MESSAGES = {
    rules.BELOW_MINIMUM: _l("%(line)s: the amount is below the minimum of %(minimum)s."),
    rules.ABOVE_MAXIMUM: _l("%(line)s: the amount is above the maximum of %(maximum)s."),
    rules.OFF_STEP: _l("%(line)s: choose an amount in steps of %(step)s from %(minimum)s."),
    rules.MISSING_LINE: _l("%(line)s: an amount is missing."),
    rules.INVALID_AMOUNT: _l("%(line)s: this is not an amount."),
    rules.UNKNOWN_LINE: _l("There is no budget line %(key)s in this simulator."),
    rules.UNBALANCED: _l(
        "The budget must balance: your total is %(delta)s away from the current total "
        "(allowed: %(tolerance)s)."
    ),
}

DEFINITION_MESSAGES = {
    rules.STEP_NOT_POSITIVE: _l("The step must be more than zero."),
    rules.NEGATIVE_MINIMUM: _l("The minimum cannot be negative."),
    rules.MINIMUM_ABOVE_MAXIMUM: _l("The minimum must not be more than the maximum."),
    rules.CURRENT_OUT_OF_BOUNDS: _l("The current amount must lie between minimum and maximum."),
    rules.CURRENT_OFF_STEP: _l("The current amount must be the minimum plus a number of steps."),
    rules.MAXIMUM_OFF_STEP: _l("The maximum must be the minimum plus a number of steps."),
}

# Which form field a definition rule is about.
DEFINITION_FIELDS = {
    rules.STEP_NOT_POSITIVE: "step",
    rules.NEGATIVE_MINIMUM: "minimum",
    rules.MINIMUM_ABOVE_MAXIMUM: "minimum",
    rules.CURRENT_OUT_OF_BOUNDS: "current_amount",
    rules.CURRENT_OFF_STEP: "current_amount",
    rules.MAXIMUM_OFF_STEP: "maximum",
}


def describe(violation: rules.Violation, simulator) -> str:
    """A translated sentence for a broken response rule, amounts in the simulator's currency."""
    names = {line.id: line.name for line in simulator.lines}
    params = dict(violation.params)
    for line in simulator.lines:  # the line's own bounds fill what the rule did not say
        if line.id == violation.line_id:
            for key in ("minimum", "maximum", "step"):
                params.setdefault(key, getattr(line, key))
    fmt = {}
    for key in ("minimum", "maximum", "step", "tolerance"):
        if key in params:
            fmt[key] = money(params[key], simulator.currency, simulator.exponent)
    if "delta" in params:
        fmt["delta"] = signed_money(params["delta"], simulator.currency, simulator.exponent)
    fmt["line"] = names.get(violation.line_id, str(violation.line_id))
    fmt["key"] = str(params.get("key", violation.line_id))
    template = RESPONSE_MESSAGES.get(violation.code, _l("This is not allowed."))
    return str(template) % fmt


def field_key(violation: rules.Violation) -> str:
    """Where the API's ``fields`` puts a violation: ``lines.<id>`` or ``total``/``lines``."""
    if violation.code == rules.UNBALANCED:
        return "total"
    if violation.code == rules.UNKNOWN_LINE:
        return f"lines.{violation.params.get('key', violation.line_id)}"
    return f"lines.{violation.line_id}"
