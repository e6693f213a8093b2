"""Numbers as people type them: one parser for every form, in the reader's language.

In Vietnamese "15.000" is fifteen thousand and "15,5" is fifteen and a half; in English and
Chinese it is the other way round. Reading a Vietnamese "15.000" with ``Decimal()`` gives 15,
which is how a 15-tonne load was once stored as 15 kg. Every web form therefore parses numbers
with :func:`parse_decimal` in the language the page was shown in, and refuses (never guesses) a
number whose separators do not fit that language: "15.5" on a Vietnamese page is an error that
says how to write it, not 155 and not 15.5. A number whose only separator is the decimal one
followed by exactly three digits ("15,000" on a Vietnamese page, "15.000" on an English or
Chinese one) reads as fifteen here and fifteen thousand in the other convention: it is refused
too, with the unambiguous ways to write it.

The API is for machines: ``language=None`` reads the machine format (``15000.5``, no thousands
separators), whatever the user's language.

Digits from other scripts (fullwidth ``１５``, Arabic-Indic ``١٥``, Devanagari ``१५``) are read
as the ASCII digits they stand for, so a number means the same whichever keyboard typed it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.formats import get_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

# Spaces people put between thousands (ordinary, no-break, narrow no-break, thin).
_SPACES = " \u00a0\u202f\u2009"
_MACHINE = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d{1,3})?$")
# Beyond these a quantity in this domain is a typing accident, and Decimal arithmetic on it is
# slow and can overflow a database column.
_MAX_DIGITS = 30
_MAX_MAGNITUDE = 20  # 10^20


class NumberError(ValueError):
    """The text is not a number as written in the given language; ``message`` says how to fix it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def ascii_digits(text: str) -> str:
    """``text`` with compatibility forms folded (NFKC) and every decimal digit made ASCII."""
    folded = unicodedata.normalize("NFKC", text)
    if folded.isascii():
        return folded
    return "".join(
        str(unicodedata.decimal(ch)) if not ch.isascii() and ch.isdecimal() else ch for ch in folded
    )


def separators(language: str) -> tuple[str, str]:
    """(decimal separator, thousands separator) of ``language``, as its pages show numbers."""
    decimal = str(get_format("DECIMAL_SEPARATOR", lang=language))
    thousands = str(get_format("THOUSAND_SEPARATOR", lang=language))
    if not thousands or thousands == decimal:
        # Chinese pages show no grouping, but people still type "15,000".
        thousands = "," if decimal != "," else "."
    return decimal, thousands


def how_to_write(language: str) -> str:
    decimal, thousands = separators(language)
    return _("Write fifteen thousand as %(thousands)s and fifteen and a half as %(half)s.") % {
        "thousands": f"15{thousands}000",
        "half": f"15{decimal}5",
    }


def ambiguous(text: str, language: str) -> str:
    """What to say of a number that reads as two numbers, one in each convention."""
    decimal, thousands = separators(language)
    return _(
        "%(text)s could be read as a whole number with thousands or as a decimal: write "
        "fifteen thousand as %(thousands)s or 15000, and fifteen as 15 or %(half)s."
    ) % {"text": text, "thousands": f"15{thousands}000", "half": f"15{decimal}0"}


def parse_decimal(raw: Any, *, language: str | None, places: int | None = None) -> Decimal:
    """The number in ``raw`` as typed in ``language`` (None: machine format, as the API takes).

    Raises :class:`NumberError` with a message for the person who typed it. Thousands
    separators must group by three; the decimal separator may appear once.
    """
    if isinstance(raw, bool):
        raise NumberError(_("Give a number."))
    if isinstance(raw, int | Decimal | float):
        text = str(raw)
        language = None
    else:
        text = ascii_digits(str(raw if raw is not None else "")).strip()
    if not text:
        raise NumberError(_("Give a number."))
    if language is None:
        if not _MACHINE.match(text):
            raise NumberError(_("Give a number such as 15000.5 (no thousands separators)."))
        normalised = text
    else:
        decimal, thousands = separators(language)
        group = f"[{re.escape(thousands)}{_SPACES}]"
        pattern = (
            rf"^(?P<sign>[-+]?)(?P<whole>\d{{1,3}}(?:{group}\d{{3}})+|\d+)"
            rf"(?:{re.escape(decimal)}(?P<fraction>\d+))?$"
        )
        match = re.match(pattern, text)
        if match is None:
            raise NumberError(how_to_write(language))
        if (
            match["fraction"] is not None
            and len(match["fraction"]) == 3
            and re.fullmatch(r"[1-9]\d{0,2}", match["whole"])
        ):
            # "15,000" on a Vietnamese page (or "15.000" on an English one) is fifteen in this
            # language and fifteen thousand in the other: copied from an invoice or a
            # spreadsheet, it was stored as 15 kg. Refused, never guessed.
            raise NumberError(ambiguous(text, language))
        whole = re.sub(r"\D", "", match["whole"])
        normalised = f"{match['sign']}{whole}"
        if match["fraction"]:
            normalised += f".{match['fraction']}"
    try:
        value = Decimal(normalised)
    except InvalidOperation as exc:  # pragma: no cover - the patterns admit only valid text
        raise NumberError(_("Give a number.")) from exc
    if (
        not value.is_finite()
        or len(value.as_tuple().digits) > _MAX_DIGITS
        or value.adjusted() > _MAX_MAGNITUDE
    ):
        raise NumberError(_("This number is too large."))
    # Trailing zeros are not precision someone asked for: "0,1500" has four places of which
    # two matter.
    if places is not None and -int(value.normalize().as_tuple().exponent) > places:
        if places == 0:
            raise NumberError(_("Give a whole number."))
        raise NumberError(
            _("At most %(places)d decimal places.") % {"places": places}
            if places != 1
            else _("At most one decimal place.")
        )
    return value


def format_decimal(value: Decimal | int | str, *, language: str | None = None) -> str:
    """``value`` written the way :func:`parse_decimal` reads it in ``language`` (the current
    one by default): thousands grouped by three, no trailing zeros ("18.000", "5.000,5" in
    Vietnamese; "18,000" in English). Django's own Vietnamese format does not group digits."""
    number = Decimal(str(value))
    decimal, thousands = separators(language or form_language())
    sign = "-" if number < 0 else ""
    text = f"{abs(number).normalize():f}"
    whole, _dot, fraction = text.partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + thousands.join(groups) + (decimal + fraction if fraction else "")


def form_language() -> str:
    """The language the current request's page was shown in (the project default outside one)."""
    return get_language() or "vi"


#: Days this platform records (schedules, hours, revenue). A day outside is a typing accident,
#: and 9999-12-31 plus one day once overflowed into a 500.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def parse_day(raw: Any) -> date | None:
    """A day as written in the form (ISO ``2026-12-31``, which date pickers send) or the
    Vietnamese way (``31/12/2026``), between 2000 and 2099; None when it is neither, and the
    caller names the field."""
    if isinstance(raw, datetime):
        return None
    if isinstance(raw, date):
        day: date | None = raw
    else:
        text = ascii_digits(str(raw if raw is not None else "")).strip()
        found = _DMY.match(text)
        try:
            if found:
                day = date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
            else:
                day = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            day = None
    return day if day is not None and FIRST_DAY <= day <= LAST_DAY else None


#: Moments the platform deals in, and the offsets real places use (UTC−12 to UTC+14). Outside
#: them a value is a typing accident or an attack: 0779-04-13T18:42+19:58 passed Python and
#: made PostgreSQL fail the whole request ("time zone displacement out of range").
FIRST_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)
LAST_MOMENT = datetime(2100, 1, 1, tzinfo=UTC)
MAX_OFFSET = timedelta(hours=14)


def check_moment(value: datetime) -> str | None:
    """Why ``value`` (an aware datetime) is out of bounds, or None."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_OFFSET:
        return str(_("Give a time zone between −12:00 and +14:00."))
    try:
        inside = FIRST_MOMENT <= value <= LAST_MOMENT
    except OverflowError:
        inside = False
    if not inside:
        return str(_("Give a time between the years 2000 and 2099."))
    return None


def parse_moment(raw: Any) -> tuple[datetime | None, str | None]:
    """A date and time typed in a web form (ISO 8601, as date-time pickers send it; without an
    offset it is the platform's local time), within :func:`check_moment`'s bounds: the moment
    in UTC, or why not. Web forms and the API refuse the same moments."""
    text = ascii_digits(str(raw if raw is not None else "")).strip()
    if not text or len(text) > 40:
        return None, None
    try:
        given = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None, None
    if given.tzinfo is None:
        try:
            given = timezone.make_aware(given)
        except (ValueError, OverflowError):
            return None, str(_("Give a time between the years 2000 and 2099."))
    problem = check_moment(given)
    if problem:
        return None, problem
    return given.astimezone(UTC), None
