"""Reconciling camera plate reads with the trucks a gate expects (pure functions).

Cameras misread: separators vanish, and 0/O/D, 1/I, 8/B, 5/S, 2/Z are confused. Reads are
compared on :func:`shipments.validators.ocr_key`, which merges those. Several reads of one pass
vote, weighted by their confidence; an exact read of the plate breaks a tie between vehicles
whose keys collide. Anything doubtful is left for a person: the correction list.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from shipments.validators import ocr_key

#: Below this confidence a lone read is not trusted without an exact plate match.
LOW_CONFIDENCE = 0.6
_COMPACT = re.compile(r"[^0-9A-Z\u4e00-\u9fff]")


@dataclass(frozen=True)
class Read:
    plate: str
    confidence: float


@dataclass(frozen=True)
class Candidate:
    declaration_id: int
    plate: str
    # Among several open trips of one vehicle, the lowest rank is the trip this event is about
    # (e.g. at gate-in the admitted trip before one only declared). Equal ranks: a person picks.
    rank: tuple[float, ...] = ()


@dataclass(frozen=True)
class Match:
    declaration_id: int | None
    reason: str


def compact(plate: str) -> str:
    return _COMPACT.sub("", (plate or "").upper())


def reconcile(reads: Sequence[Read], candidates: Sequence[Candidate]) -> Match:
    """The expected truck these reads show, or ``None`` with the reason a person must look."""
    if not reads:
        return Match(None, "no plate read")
    scores: dict[int, float] = {}
    exact: dict[int, float] = {}
    by_key: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        by_key.setdefault(ocr_key(candidate.plate), []).append(candidate)
    total = sum(max(0.0, r.confidence) for r in reads) or 1.0
    for read in reads:
        for candidate in by_key.get(ocr_key(read.plate), []):
            scores[candidate.declaration_id] = scores.get(candidate.declaration_id, 0.0) + max(
                0.0, read.confidence
            )
            if compact(read.plate) == compact(candidate.plate):
                exact[candidate.declaration_id] = exact.get(candidate.declaration_id, 0.0) + max(
                    0.0, read.confidence
                )
    if not scores:
        return Match(None, "no expected truck has this plate")
    ranked = sorted(scores.items(), key=lambda item: (-item[1], -exact.get(item[0], 0.0)))
    best, best_score = ranked[0]
    if len(ranked) > 1 and ranked[1][1] == best_score:
        # Two vehicles whose plates a camera cannot tell apart: only an exact read decides.
        tied = [d for d, s in ranked if s == best_score]
        exact_tied = sorted(((exact.get(d, 0.0), d) for d in tied), reverse=True)
        if exact_tied[0][0] > 0 and exact_tied[0][0] > exact_tied[1][0]:
            return Match(exact_tied[0][1], "exact read among look-alike plates")
        by_id = {c.declaration_id: c for c in candidates}
        if len({compact(by_id[d].plate) for d in tied}) == 1:
            # Not look-alike vehicles but one vehicle with several open trips at this gate.
            trips = sorted(tied, key=lambda d: by_id[d].rank)
            if by_id[trips[0]].rank < by_id[trips[1]].rank:
                return Match(trips[0], "the trip this truck is expected for")
            return Match(None, "several open trips of this truck; choose the trip")
        return Match(None, "look-alike plates; cannot tell which truck")
    if best_score < total / 2:
        return Match(None, "the reads disagree")
    if len(reads) == 1 and best_score < LOW_CONFIDENCE and best not in exact:
        return Match(None, "a single low-confidence read")
    return Match(best, "matched")


def edits(a: str, b: str) -> int:
    """Character insertions, deletions and substitutions from ``a`` to ``b`` (Levenshtein;
    plates are a dozen characters, so the quadratic table is nothing)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def misread_edits(reads: Sequence[dict[str, object]], plate: str) -> int:
    """How far ``plate`` is from the closest of a camera's reads, on the OCR key (look-alike
    characters merged): 0 for a read of that plate, large for another truck."""
    key = ocr_key(plate)
    found = [ocr_key(str(r.get("plate", ""))) for r in reads if isinstance(r, dict)]
    return min((edits(key, k) for k in found if k), default=len(key))
