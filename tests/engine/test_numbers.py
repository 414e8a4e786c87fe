"""Numbers written for people."""

import math

from engine.numbers import compact_exponent, significant


def test_powers_of_ten_are_written_without_padding_or_plus():
    assert [significant(x) for x in (5.6912e7, -2.5e-6, 0.03649, 1234.5, 0.0)] == ["5.69e7", "-2.5e-6", "0.0365", "1.23e3", "0"]
    assert significant(1.363e-14, 4) == "1.363e-14"
    assert [significant(x) for x in (math.nan, math.inf, -math.inf)] == ["nan", "inf", "-inf"]
    assert compact_exponent("7.5e-06") == "7.5e-6" and compact_exponent("0.5") == "0.5"


def test_numbers_set_side_by_side_keep_their_trailing_zeros():
    """An experiment's summary read "train 0.287, test 0.3052": the 0.2870 lost a digit."""
    assert [significant(x, 4, trailing_zeros=True) for x in (0.287, 0.30521, 1234.5, 1e-5, 3.0, math.inf)] == ["0.2870", "0.3052", "1234", "1.000e-5", "3.000", "inf"]
