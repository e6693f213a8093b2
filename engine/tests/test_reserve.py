"""``reserve`` on capacity-cut instances: within 1.10× the clairvoyant optimum's spoiled value.
(The full-size instances, 9,000 trucks over 30 days, are in ``make bench``.)"""

from __future__ import annotations

import itertools

import pytest

from engine import policies
from engine.instances import capacity_cut
from engine.optimum import optimum
from engine.result import summarize


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reserve_stays_within_ten_percent_of_the_optimum_under_a_capacity_cut(seed: int) -> None:
    sc = capacity_cut(seed, trucks=3000, days=20, cut_from_day=5, cut_days=10)
    best = summarize(sc, optimum(sc))["spoiled_value_vnd"]
    assert best > 0, "the instance must overload the gates"
    got = summarize(sc, policies.reserve(sc))
    assert got["spoiled_value_vnd"] <= 1.10 * best
    # Fairness for the others: non-perishables still cross first come, first served.
    fifo_like = policies.reserve(sc)
    others = [
        i for i in range(sc.n_trucks) if not sc.perishable[i] and fifo_like.cross_hour[i] >= 0
    ]
    others.sort(key=lambda i: (int(fifo_like.gate_index[i]), sc.ready_hour[i]))
    for a, b in itertools.pairwise(others):
        if (
            fifo_like.gate_index[a] == fifo_like.gate_index[b]
            and sc.gate_index[a] == sc.gate_index[b]
        ):
            assert fifo_like.cross_hour[a] <= fifo_like.cross_hour[b]
