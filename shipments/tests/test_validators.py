import pytest
from django.core.exceptions import ValidationError

from shipments.validators import (
    normalize_cn_credit_code,
    normalize_customs_number,
    normalize_hs_heading,
    normalize_phone,
    normalize_plate,
    normalize_vn_tax_code,
)


@pytest.mark.parametrize(
    ("raw", "plate", "country"),
    [
        ("29C-123.45", "29C-123.45", "VN"),
        ("29c 12345", "29C-123.45", "VN"),
        ("12H-001.23", "12H-001.23", "VN"),
        ("29R-012.34", "29R-012.34", "VN"),  # trailer
        ("51LD-123.45", "51LD-123.45", "VN"),
        ("29C-1234", "29C-1234", "VN"),  # older four-digit plate
        ("桂A·12345", "桂A·12345", "CN"),
        ("桂a12345", "桂A·12345", "CN"),
        ("桂A 1234挂", "桂A·1234挂", "CN"),  # Chinese trailer
        ("粤B·D12345", "粤B·D12345", "CN"),  # new-energy, six characters
    ],
)
def test_plates_are_normalised(raw: str, plate: str, country: str) -> None:
    assert normalize_plate(raw) == (plate, country)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "ABC",
        "10C-123.45",
        "29-123.45",
        "29C-12.345",
        "桂I·12345",
        "桂A·123",
        "X桂A12345",
        "29C-123456",
    ],
)
def test_malformed_plates_say_the_expected_form(raw: str) -> None:
    with pytest.raises(ValidationError) as info:
        normalize_plate(raw)
    assert "29C-123.45" in info.value.messages[0]
    assert "桂A·12345" in info.value.messages[0]


@pytest.mark.parametrize("code", ["0100107518", "0100109106", "0302712571", "0100112437-001"])
def test_real_vietnamese_tax_codes_pass(code: str) -> None:
    assert normalize_vn_tax_code(code).replace("-", "") == code.replace("-", "")


@pytest.mark.parametrize("code", ["0100107519", "010010751", "abc", ""])
def test_bad_vietnamese_tax_codes_fail(code: str) -> None:
    with pytest.raises(ValidationError):
        normalize_vn_tax_code(code)


def test_chinese_credit_code() -> None:
    assert normalize_cn_credit_code("91110000600037341L") == "91110000600037341L"
    with pytest.raises(ValidationError):
        normalize_cn_credit_code("911100001000013223")


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0912 345 678", "+84912345678"),
        ("+86 139 1234 5678", "+8613912345678"),
        ("+84 24 3825 3536", "+842438253536"),
    ],
)
def test_phones(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["12345", "+84 1", "hello"])
def test_bad_phones(raw: str) -> None:
    with pytest.raises(ValidationError):
        normalize_phone(raw)


@pytest.mark.parametrize(
    ("raw", "heading"), [("0810", "0810"), ("08.10", "0810"), ("8517", "8517")]
)
def test_hs_headings(raw: str, heading: str) -> None:
    assert normalize_hs_heading(raw) == heading


@pytest.mark.parametrize("raw", ["081", "08100", "9999", "7701", "0000", "ab10"])
def test_bad_hs_headings(raw: str) -> None:
    with pytest.raises(ValidationError):
        normalize_hs_heading(raw)


def test_customs_declaration_number_has_twelve_digits() -> None:
    assert normalize_customs_number("105 123 456 789") == "105123456789"
    with pytest.raises(ValidationError):
        normalize_customs_number("10512345678")


@pytest.mark.django_db
def test_models_normalise_or_refuse_in_forms_and_admin() -> None:
    from shipments.models import Commodity, Driver, Enterprise, Vehicle

    enterprise = Enterprise(name="X", country="VN", tax_code="0100107519")
    with pytest.raises(ValidationError) as info:
        enterprise.full_clean()
    assert "tax_code" in info.value.message_dict
    vehicle = Vehicle(plate="29c 12345", kind="truck", enterprise=Enterprise(pk=1))
    vehicle.clean()
    assert (vehicle.plate, vehicle.country) == ("29C-123.45", "VN")
    with pytest.raises(ValidationError):
        Vehicle(plate="XX", kind="truck").clean()
    driver = Driver(
        full_name="A", id_document_type="passport", id_document_number="1", phone="0912 345 678"
    )
    driver.clean()
    assert driver.phone == "+84912345678"
    with pytest.raises(ValidationError):
        Commodity(code="x", hs_heading="99", name_vi="x", goods_group="ore").clean()
    with pytest.raises(ValidationError):
        Commodity(
            code="x", hs_heading="0810", name_vi="x", goods_group="fresh_fruit", perishable=True
        ).clean()
