"""Numbers written for people: 5.69e7 and 2.5e-6, not Python's 5.69e+07 and 2.5e-06; and lists of
names as a sentence says them."""

from __future__ import annotations

from collections.abc import Sequence


def compact_exponent(text: str) -> str:
    """'-7.5e-06' as '-7.5e-6', '5.69e+07' as '5.69e7': two characters fewer, which three labels
    under a narrow histogram of tiny gradients need, and the sentences read better."""
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa}e{int(exponent)}" if e else text


def significant(value: float, digits: int = 3, trailing_zeros: bool = False) -> str:
    """`value` to `digits` significant digits, a power of ten written compactly. With
    `trailing_zeros` every digit shows ("0.2870", not "0.287"), so that numbers set side by side
    line their digits up; a whole number's point does not ("1234", not "1234.")."""
    text = compact_exponent(f"{value:{'#' if trailing_zeros else ''}.{digits}g}")
    mantissa, e, exponent = text.partition("e")
    return mantissa.rstrip(".") + e + exponent


def spoken_list(names: Sequence[str]) -> str:
    """'L1', 'L1 and L2', 'L1, L2 and L3'."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
