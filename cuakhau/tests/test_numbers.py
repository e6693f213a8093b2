"""Numbers as typed in each language: the parser never misreads, and round-trips what pages show."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.formats import number_format
from hypothesis import given
from hypothesis import strategies as st

from cuakhau.numbers import (
    NumberError,
    ascii_digits,
    format_decimal,
    parse_day,
    parse_decimal,
    separators,
)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("15.000", "vi", Decimal(15000)),
        ("15000", "vi", Decimal(15000)),
        ("5000,5", "vi", Decimal("5000.5")),
        ("45.000", "vi", Decimal(45000)),
        ("1.234.567,25", "vi", Decimal("1234567.25")),
        ("0,1500", "vi", Decimal("0.15")),
        ("15 000", "vi", Decimal(15000)),
        ("15\u202f000,5", "vi", Decimal("15000.5")),
        ("15,000", "en", Decimal(15000)),
        ("15000.5", "en", Decimal("15000.5")),
        ("15,000.5", "zh-hans", Decimal("15000.5")),
        ("１５．０００", "vi", Decimal(15000)),  # fullwidth, as a Chinese keyboard types it
        ("١٥٠٠٠", "vi", Decimal(15000)),  # Arabic-Indic digits
        ("15000.5", None, Decimal("15000.5")),
        (20000, None, Decimal(20000)),
    ],
)
def test_reads_what_people_mean(text: object, language: str | None, expected: Decimal) -> None:
    assert parse_decimal(text, language=language) == expected


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("15.5", "vi"),  # a Vietnamese "." groups thousands: 15.5 is neither 155 nor 15.5
        ("15,5", "en"),
        ("1.5.0", "vi"),
        ("15,000", None),  # the API takes no thousands separators
        ("15.000,5,5", "vi"),
        ("1e309", None),
        ("abc", "vi"),
        ("", "vi"),
        ("NaN", None),
        (True, None),
    ],
)
def test_refuses_what_it_cannot_read_for_sure(text: object, language: str | None) -> None:
    with pytest.raises(NumberError):
        parse_decimal(text, language=language)


def test_the_error_says_how_to_write_it_in_the_page_language() -> None:
    with translation.override("vi"), pytest.raises(NumberError) as caught:
        parse_decimal("15.5", language="vi")
    assert "15.000" in caught.value.message
    assert "15,5" in caught.value.message


def test_places() -> None:
    assert parse_decimal("15.000,50", language="vi", places=1) == Decimal("15000.5")
    with pytest.raises(NumberError):
        parse_decimal("15.000,25", language="vi", places=1)
    with pytest.raises(NumberError):
        parse_decimal("1,5", language="vi", places=0)


def test_ascii_digits_folds_other_scripts() -> None:
    assert ascii_digits("29C-१२३.४५") == "29C-123.45"


@given(
    st.decimals(min_value=0, max_value=Decimal("1e11"), places=2, allow_nan=False),
    st.sampled_from(["vi", "en", "zh-hans"]),
    st.booleans(),
)
def test_what_a_page_shows_reads_back_as_the_same_number(
    value: Decimal, language: str, grouping: bool
) -> None:
    with translation.override(language):
        shown = number_format(value, decimal_pos=2, use_l10n=True, force_grouping=grouping)
    assert parse_decimal(shown, language=language) == value


@given(
    st.decimals(min_value=-Decimal("1e11"), max_value=Decimal("1e11"), places=2, allow_nan=False),
    st.sampled_from(["vi", "en", "zh-hans"]),
)
def test_what_we_format_reads_back_as_the_same_number(value: Decimal, language: str) -> None:
    assert parse_decimal(format_decimal(value, language=language), language=language) == value


def test_format_decimal_groups_thousands() -> None:
    assert format_decimal(Decimal("18000.0"), language="vi") == "18.000"
    assert format_decimal(Decimal("5000.50"), language="vi") == "5.000,5"
    assert format_decimal(Decimal("1234567"), language="en") == "1,234,567"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-12-31", date(2026, 12, 31)),
        ("31/12/2026", date(2026, 12, 31)),
        ("1/2/2027", date(2027, 2, 1)),
        ("01.02.2027", date(2027, 2, 1)),
        ("３１/１２/２０２６", date(2026, 12, 31)),
        ("31/02/2026", None),
        ("12/31/2026", None),
        ("9999-12-31", None),
        ("1999-12-31", None),
        ("2026-1-5", None),
        ("", None),
        (None, None),
    ],
)
def test_days_are_read_iso_or_the_vietnamese_way_within_the_century(
    raw: str | None, expected: date | None
) -> None:
    assert parse_day(raw) == expected


@pytest.mark.parametrize(
    ("language", "text"),
    [("vi", "15,000"), ("vi", "1,500"), ("en", "15.000"), ("zh-hans", "15.000"), ("en", "-2.500")],
)
def test_a_decimal_separator_before_exactly_three_digits_is_refused_as_ambiguous(
    language: str, text: str
) -> None:
    """ "15,000" on a Vietnamese page is fifteen there and fifteen thousand in English: copied
    from an English invoice it was stored as 15 kg. Refused, with both unambiguous ways, in the
    page's language."""
    with translation.override(language), pytest.raises(NumberError) as refused:
        parse_decimal(text, language=language)
    decimal, thousands = separators(language)
    assert f"15{thousands}000" in refused.value.message
    assert f"15{decimal}0" in refused.value.message


@pytest.mark.parametrize(
    ("language", "text", "value"),
    [
        ("vi", "15.000", "15000"),
        ("en", "15,000", "15000"),
        ("vi", "0,125", "0.125"),
        ("vi", "15,5", "15.5"),
        ("vi", "15,50", "15.50"),
        ("vi", "1.500,250", "1500.250"),
        ("en", "1,500.250", "1500.250"),
        ("vi", "1500,250", "1500.250"),
    ],
)
def test_numbers_that_read_one_way_only_are_kept(language: str, text: str, value: str) -> None:
    assert parse_decimal(text, language=language) == Decimal(value)
