"""Numbers written for people: 5.69e7 and 2.5e-6, not Python's 5.69e+07 and 2.5e-06."""

from __future__ import annotations


def compact_exponent(text: str) -> str:
    """'-7.5e-06' as '-7.5e-6', '5.69e+07' as '5.69e7': two characters fewer, which three labels
    under a narrow histogram of tiny gradients need, and the sentences read better."""
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa}e{int(exponent)}" if e else text


def significant(value: float, digits: int = 3) -> str:
    """`value` to `digits` significant digits, a power of ten written compactly."""
    return compact_exponent(f"{value:.{digits}g}")
