"""Reconciling camera reads with expected trucks, on realistic misreads."""

from __future__ import annotations

from flow.plates import Candidate, Read, reconcile
from shipments.validators import ocr_key

EXPECTED = [
    Candidate(1, "29C-123.45"),
    Candidate(2, "51D-080.18"),
    Candidate(3, "12H-001.23"),
    Candidate(4, "桂A·12345"),
    Candidate(5, "98C-555.21"),
]


def test_ocr_key_merges_what_cameras_confuse() -> None:
    assert ocr_key("29C-123.45") == ocr_key("29c 12345") == ocr_key("29C-I23.4S")
    assert ocr_key("51D-080.18") == ocr_key("510-O8O.IB")
    assert ocr_key("98C-555.21") == ocr_key("9BC-SS5.Z1")
    assert ocr_key("桂A·12345") == ocr_key("桂A 12345")
    assert ocr_key("29C-123.45") != ocr_key("29C-123.46")


def test_common_misreads_are_matched() -> None:
    misreads = {
        "29C12345": 1,  # separators lost
        "29C-I23.4S": 1,  # 1→I, 5→S
        "510-O8O.18": 2,  # D→0, 0→O
        "51D080IB": 2,  # 1→I, 8→B
        "I2H-OOI.Z3": 3,  # 1→I, 0→O, 2→Z
        "桂A12345": 4,
        "9BC55521": 5,
    }
    for text, expected in misreads.items():
        match = reconcile([Read(text, 0.9)], EXPECTED)
        assert match.declaration_id == expected, (text, match)


def test_several_reads_vote() -> None:
    reads = [Read("29C-123.45", 0.9), Read("29C-I23.45", 0.7), Read("28C-123.45", 0.4)]
    assert reconcile(reads, EXPECTED).declaration_id == 1


def test_doubt_goes_to_the_correction_list() -> None:
    assert reconcile([Read("30A-999.99", 0.99)], EXPECTED).declaration_id is None
    assert reconcile([], EXPECTED).reason == "no plate read"
    # Two reads pointing at two different trucks, equally sure.
    split = reconcile([Read("29C-123.45", 0.8), Read("12H-001.23", 0.8)], EXPECTED)
    assert split.declaration_id is None
    # A lone, unsure read that is not the exact plate.
    assert reconcile([Read("29C-I23.4S", 0.3)], EXPECTED).declaration_id is None


def test_look_alike_plates_need_an_exact_read() -> None:
    twins = [Candidate(7, "29C-100.00"), Candidate(8, "29C-IOO.OO")]
    # Both plates exist (the second is not a valid VN plate, but cameras see such things).
    assert reconcile([Read("29C-1OO.OO", 0.9)], twins).declaration_id is None
    assert reconcile([Read("29C-100.00", 0.9)], twins).declaration_id == 7


def test_every_reason_a_read_is_left_to_a_person_is_translated() -> None:
    """Issue 12, finding 12: the yard console showed camera reasons in English."""
    import inspect
    import re

    from django.utils import translation

    from flow import plates
    from flow.views import READ_REASONS

    given = set(re.findall(r'Match\(None, "([^"]+)"\)', inspect.getsource(plates)))
    assert given and given <= set(READ_REASONS)
    with translation.override("vi"):
        assert all(str(READ_REASONS[r]) != r for r in given)
