"""Total orders over trucks, computed once with NumPy, ties broken by truck id (the contract)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


def order(keys: Sequence[npt.NDArray[np.float64]], ids: Sequence[str]) -> IntArray:
    """Indices sorting trucks by ``keys`` (most significant first), then by id.

    ``np.lexsort`` does the numeric keys; only runs of exactly equal keys are then sorted by id
    in Python, which keeps a million trucks fast (ties are rare with fractional ready hours).
    """
    n = len(ids)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    idx = np.lexsort(tuple(reversed([np.asarray(k) for k in keys]))).astype(np.int64)
    stacked = np.stack([np.asarray(k)[idx] for k in keys])
    same_as_next = np.all(stacked[:, 1:] == stacked[:, :-1], axis=0)
    if not same_as_next.any():
        return idx
    starts = np.flatnonzero(same_as_next & ~np.concatenate(([False], same_as_next[:-1])))
    for start in starts:
        end = start + 1
        while end < n - 1 and same_as_next[end]:
            end += 1
        run = idx[start : end + 1]
        idx[start : end + 1] = sorted(run.tolist(), key=ids.__getitem__)
    return idx


def ranks(sorted_index: IntArray) -> IntArray:
    """``ranks(order)[i]`` is truck ``i``'s position in the order."""
    out = np.empty_like(sorted_index)
    out[sorted_index] = np.arange(len(sorted_index), dtype=np.int64)
    return out
