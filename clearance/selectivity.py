"""cuakhau's advisory risk assessment (phân luồng) as pure functions of a declaration's facts.

The legal customs channel is VNACCS's, assigned at registration; these rules only advise the
officer ("our rules would have chosen red because …") and select declarations for
post-clearance audit, which is not a channel.

Each declaration gets one uniform draw per rule, ``draw(reference, rule_code)``: an HMAC of the
two under the server's secret key. Declarants cannot predict it, yet it is reproducible, so the
channel can be explained afterwards and a rule change can be replayed on past declarations
exactly as it would have fallen (the preview). Draws for different rules are independent.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from clearance.choices import SEVERITY, Channel, RuleTarget

_SCALE = float(1 << 64)


@dataclass(frozen=True)
class LineFacts:
    hs_heading: str
    commodity_id: int
    weight_kg: Decimal
    value_usd: Decimal


@dataclass(frozen=True)
class DeclarationFacts:
    """What selectivity may look at: never the declarant's identity beyond its rating."""

    reference: str
    direction: str
    compliance_class: str
    origin_province: int | None
    lines: tuple[LineFacts, ...]


class RuleLike(Protocol):
    code: str
    channel: str
    rate: Decimal
    hs_prefixes: Any
    directions: Any
    compliance_classes: Any
    origin_provinces: Any
    value_outside_range: bool


@dataclass(frozen=True)
class Hit:
    rule: str
    channel: str
    rate: float
    draw: float

    @property
    def selected(self) -> bool:
        return self.draw < self.rate

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "channel": self.channel,
            "rate": self.rate,
            "draw": round(self.draw, 6),
            "selected": self.selected,
        }


@dataclass(frozen=True)
class Assignment:
    channel: str
    hits: tuple[Hit, ...]
    post_audit: bool = False


#: (lowest, highest) USD per tonne by commodity id.
PriceRanges = Mapping[int, tuple[Decimal, Decimal]]


def draw(secret: bytes, reference: str, rule_code: str) -> float:
    digest = hmac.new(secret, f"{reference}|{rule_code}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def value_outside(facts: DeclarationFacts, prices: PriceRanges) -> bool:
    for line in facts.lines:
        bounds = prices.get(line.commodity_id)
        if bounds is None or line.weight_kg <= 0:
            continue
        per_tonne = line.value_usd * 1000 / line.weight_kg
        if not bounds[0] <= per_tonne <= bounds[1]:
            return True
    return False


def matches(
    rule: RuleLike, facts: DeclarationFacts, prices: PriceRanges, outside: bool | None = None
) -> bool:
    """Whether ``rule``'s criteria all hold; ``outside`` may pass a precomputed value test."""
    if rule.directions and facts.direction not in rule.directions:
        return False
    if rule.compliance_classes and facts.compliance_class not in rule.compliance_classes:
        return False
    if rule.origin_provinces and facts.origin_province not in rule.origin_provinces:
        return False
    if rule.hs_prefixes and not any(
        line.hs_heading.startswith(tuple(rule.hs_prefixes)) for line in facts.lines
    ):
        return False
    if not rule.value_outside_range:
        return True
    return value_outside(facts, prices) if outside is None else outside


def assign(
    facts: DeclarationFacts, rules: Iterable[RuleLike], prices: PriceRanges, secret: bytes
) -> Assignment:
    hits = tuple(
        Hit(rule.code, rule.channel, float(rule.rate), draw(secret, facts.reference, rule.code))
        for rule in rules
        if matches(rule, facts, prices)
    )
    channel: str = Channel.GREEN
    post_audit = False
    for hit in hits:
        if not hit.selected:
            continue
        if hit.channel == RuleTarget.POST_AUDIT:
            post_audit = True
        elif SEVERITY[hit.channel] > SEVERITY[channel]:
            channel = hit.channel
    return Assignment(channel, hits, post_audit)


def channel_probabilities(
    facts: DeclarationFacts, rules: Iterable[RuleLike], prices: PriceRanges
) -> dict[str, float]:
    """The exact chance of each channel for one declaration, before its draws are known.

    The channel is at least as strict as ``c`` unless every matching rule of channel ``c`` or
    stricter passes it by: P(≥ c) = 1 − Π (1 − rate) over those rules.
    """
    return _probabilities([r for r in _channel_rules(rules) if matches(r, facts, prices)])


def _channel_rules(rules: Iterable[RuleLike]) -> list[RuleLike]:
    """The rules that choose a channel (not those selecting for post-clearance audit)."""
    return [r for r in rules if r.channel in SEVERITY]


def _probabilities(matching: Sequence[RuleLike]) -> dict[str, float]:
    ordered = sorted(SEVERITY, key=SEVERITY.__getitem__)
    at_least: dict[str, float] = {}
    for channel in ordered:
        miss = 1.0
        for rule in matching:
            if SEVERITY[rule.channel] >= SEVERITY[channel]:
                miss *= 1.0 - float(rule.rate)
        at_least[channel] = 1.0 if channel == Channel.GREEN else 1.0 - miss
    result: dict[str, float] = {}
    for i, channel in enumerate(ordered):
        stricter = at_least[ordered[i + 1]] if i + 1 < len(ordered) else 0.0
        result[channel] = at_least[channel] - stricter
    return result


@dataclass(frozen=True)
class Shares:
    """Share of declarations per channel, drawn and expected, over a set of declarations."""

    count: int
    drawn: dict[str, float]
    expected: dict[str, float]


@dataclass(frozen=True)
class Outcome:
    """One rule set applied to a population: each declaration's channel, and the shares."""

    channels: list[str]
    shares: Shares


def evaluate(
    population: Sequence[DeclarationFacts],
    rulesets: Sequence[Sequence[RuleLike]],
    prices: PriceRanges,
    secret: bytes,
) -> list[Outcome]:
    """Apply several rule sets to the same declarations in one pass (the preview's before and
    after). Declarations alike in everything the criteria read share one matching; each
    declaration's draw for a rule code is computed once, whichever rule sets use it."""
    rulesets = [_channel_rules(rules) for rules in rulesets]
    matched_by_key: dict[tuple[Any, ...], list[list[RuleLike]]] = {}
    probabilities_by_key: dict[tuple[Any, ...], list[dict[str, float]]] = {}
    channels: list[list[str]] = [[] for _ in rulesets]
    expected = [dict.fromkeys(SEVERITY, 0.0) for _ in rulesets]
    for facts in population:
        outside = value_outside(facts, prices)
        key = (
            facts.direction,
            facts.compliance_class,
            facts.origin_province,
            tuple(line.hs_heading for line in facts.lines),
            outside,
        )
        matched = matched_by_key.get(key)
        if matched is None:
            matched = [
                [r for r in rules if matches(r, facts, prices, outside)] for rules in rulesets
            ]
            matched_by_key[key] = matched
            probabilities_by_key[key] = [_probabilities(m) for m in matched]
        draws: dict[str, float] = {}
        for index, rules in enumerate(matched):
            channel: str = Channel.GREEN
            for rule in rules:
                if SEVERITY[rule.channel] <= SEVERITY[channel]:
                    continue
                value = draws.get(rule.code)
                if value is None:
                    value = draws[rule.code] = draw(secret, facts.reference, rule.code)
                if value < float(rule.rate):
                    channel = rule.channel
            channels[index].append(channel)
            for name, p in probabilities_by_key[key][index].items():
                expected[index][name] += p
    n = len(population)
    outcomes = []
    for index in range(len(rulesets)):
        counts = dict.fromkeys(SEVERITY, 0)
        for channel in channels[index]:
            counts[channel] += 1
        outcomes.append(
            Outcome(
                channels=channels[index],
                shares=Shares(
                    count=n,
                    drawn={c: (counts[c] / n if n else 0.0) for c in SEVERITY},
                    expected={c: (expected[index][c] / n if n else 0.0) for c in SEVERITY},
                ),
            )
        )
    return outcomes


def shares(
    population: Sequence[DeclarationFacts],
    rules: Sequence[RuleLike],
    prices: PriceRanges,
    secret: bytes,
) -> Shares:
    return evaluate(population, [rules], prices, secret)[0].shares
