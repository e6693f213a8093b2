"""Validation and normalisation of identifiers that reach us from people and devices.

Tax codes and phone numbers use python-stdnum and phonenumbers, which track the official
algorithms and numbering plans; plates and HS headings have no maintained library that knows both
Vietnamese and Chinese formats, so their rules live here, with the expected form in every message.
"""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.vn import mst

from cuakhau.numbers import ascii_digits

PLATE_HELP = _(
    "Enter a Vietnamese plate such as 29C-123.45 (trailer 29R-012.34) "
    "or a Chinese plate such as 桂A·12345."
)

# Vietnamese plates: two-digit province code (11–99), a series (one or two letters, optionally
# a digit), then five digits written NNN.NN, or four digits on older plates. Written without the
# hyphen, the series is letters only, since "29C112345" could be read two ways.
_VN_SERIES = re.compile(r"^(\d{2})([A-Z]{1,2}\d?)$")
_VN_NUMBER = re.compile(r"^(\d{3})\.?(\d{2})$|^(\d{4})$")
_VN_COMPACT = re.compile(r"^(\d{2})([A-Z]{1,2})(\d{5}|\d{4})$")
# Chinese plates: province abbreviation, issuing-office letter (never I or O), then five
# characters (six for new-energy vehicles), or four followed by 挂 on trailers.
_CN_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_CN_PLATE = re.compile(
    rf"^([{_CN_PROVINCES}])([A-HJ-NP-Z])((?:[A-HJ-NP-Z0-9]{{5,6}})|(?:[A-HJ-NP-Z0-9]{{4}}挂))$"
)
_SEPARATORS = re.compile(r"[\s·•.\-_]")


def normalize_plate(raw: str) -> tuple[str, str]:
    """Return ``(canonical plate, country)`` or raise ``ValidationError`` naming the form.

    ``29c 123.45`` becomes ``29C-123.45``; ``桂a12345`` becomes ``桂A·12345``.
    """
    # Fullwidth, Arabic-Indic or Devanagari digits are the same plate: without folding them,
    # "２９C-１２３.４５" was once registered as a new vehicle beside 29C-123.45.
    text = ascii_digits(raw or "").strip().upper()
    compact_cn = _SEPARATORS.sub("", text)
    if match := _CN_PLATE.match(compact_cn):
        province, office, rest = match.groups()
        return f"{province}{office}·{rest}", "CN"
    vn = re.sub(r"[\s·•_]", "", text)
    if vn.count("-") == 1:
        series_part, number_part = vn.split("-")
        series, number = _VN_SERIES.match(series_part), _VN_NUMBER.match(number_part)
    elif match := _VN_COMPACT.match(vn.replace(".", "")):
        series, number = (
            _VN_SERIES.match(match.group(1) + match.group(2)),
            _VN_NUMBER.match(match.group(3)),
        )
    else:
        series = number = None
    if series and number and int(series.group(1)) >= 11:
        prefix = series.group(1) + series.group(2)
        head, tail, four = number.groups()
        return (f"{prefix}-{four}" if four else f"{prefix}-{head}.{tail}"), "VN"
    raise ValidationError(PLATE_HELP, code="invalid_plate")


#: Characters plate cameras confuse, each mapped to one representative.
_OCR_CONFUSIONS = str.maketrans({"O": "0", "D": "0", "I": "1", "B": "8", "S": "5", "Z": "2"})
_NOT_PLATE = re.compile(r"[^0-9A-Z\u4e00-\u9fff]")


def ocr_key(raw: str) -> str:
    """A plate reduced to what a camera can tell apart: no separators, confusable characters
    merged (0/O/D, 1/I, 8/B, 5/S, 2/Z). Two reads of one plate have the same key."""
    return _NOT_PLATE.sub("", ascii_digits(raw or "").upper()).translate(_OCR_CONFUSIONS)


def normalize_vn_tax_code(raw: str) -> str:
    """A Vietnamese tax code (mã số thuế): 10 digits, or 13 for a branch (``0100112437-001``)."""
    try:
        return str(mst.validate(raw or ""))
    except StdnumError as exc:
        raise ValidationError(
            _("Enter a valid Vietnamese tax code: 10 digits, or 10-3 for a branch."),
            code="invalid_tax_code",
        ) from exc


def normalize_cn_credit_code(raw: str) -> str:
    """A Chinese unified social credit code (统一社会信用代码): 18 characters with a check digit."""
    try:
        return str(uscc.validate(raw or ""))
    except StdnumError as exc:
        raise ValidationError(
            _("Enter a valid Chinese unified social credit code of 18 characters."),
            code="invalid_credit_code",
        ) from exc


def format_tax_code(code: str, country: str) -> str:
    return str(mst.format(code)) if country == "VN" else code


def normalize_phone(raw: str, default_region: str = "VN") -> str:
    """A phone number in E.164 (``+84912345678``); Vietnamese numbers may omit ``+84``."""
    try:
        number = phonenumbers.parse(raw or "", default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("Enter a phone number such as 0912 345 678 or +86 139 1234 5678."),
            code="invalid_phone",
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("This phone number does not exist in the numbering plan of its country."),
            code="invalid_phone",
        )
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


_HS_HEADING = re.compile(r"^\d{4}$")


def normalize_hs_heading(raw: str) -> str:
    """An HS heading: four digits, chapters 01–97 (chapter 77 is reserved and unused)."""
    text = re.sub(r"[\s.]", "", str(raw or ""))
    if not _HS_HEADING.match(text) or not (1 <= int(text[:2]) <= 97) or text[:2] == "77":
        raise ValidationError(
            _("Enter an HS heading of four digits, such as 0810 for fresh fruit."),
            code="invalid_hs_heading",
        )
    return text


_CUSTOMS_NUMBER = re.compile(r"^\d{12}$")


def normalize_customs_number(raw: str) -> str:
    """A VNACCS customs declaration number (số tờ khai): twelve digits."""
    text = re.sub(r"\s", "", raw or "")
    if not _CUSTOMS_NUMBER.match(text):
        raise ValidationError(
            _("A customs declaration number has 12 digits."), code="invalid_customs_number"
        )
    return text
