from engine import policies
from engine.optimum import optimum
from engine.reference import OBSERVED, OBSERVED_BY_GATE, build, end_of_day_slot
from engine.result import summarize, yard_occupancy
from engine.scenario import parse_scenario


def test_fifo_reproduces_the_stranded_trucks_of_2021_within_15_percent() -> None:
    sc = parse_scenario(build())
    occupancy = yard_occupancy(sc, policies.fifo(sc))
    for day, observed in OBSERVED.items():
        simulated = int(occupancy[:, end_of_day_slot(day)].sum())
        assert abs(simulated - observed) <= 0.15 * observed, (day, simulated, observed)
    for day, by_gate in OBSERVED_BY_GATE.items():
        for g, gate in enumerate(sc.gate_ids):
            simulated = int(occupancy[g, end_of_day_slot(day)])
            assert abs(simulated - by_gate[gate]) <= 0.15 * by_gate[gate], (day, gate, simulated)


def test_green_lane_beats_fifo_and_stays_near_the_optimum() -> None:
    sc = parse_scenario(build())
    fifo = summarize(sc, policies.fifo(sc))["spoiled_value_vnd"]
    best_online = min(
        summarize(sc, run(sc))["spoiled_value_vnd"]
        for name, run in policies.ONLINE.items()
        if name != "fifo"
    )
    bound = summarize(sc, optimum(sc, use_alternatives=False))["spoiled_value_vnd"]
    assert fifo > 0  # the 2021 queue did rot fruit
    assert best_online <= 1.1 * bound
    assert best_online < 0.3 * fifo


def test_the_scenario_is_reproducible_and_valid() -> None:
    first, again = build(seed=5), build(seed=5)
    assert first == again
    sc = parse_scenario(first)
    assert sc.n_trucks > 15_000 and sc.horizon_hours == 90 * 24
    assert 0.6 < sc.perishable.mean() < 0.85
