"""Lapse flags against the generator's ground truth and an independent pandas computation.

The histories come from ``bench/customers.py``: customers with weekly to twice-yearly
rhythms, irregular ones, seasonality, one-off buyers, and churners (some after a bad
experience). They enter through the same services as the API, the worker's refresh judges
them, and two independent checks follow:

- pandas recomputes the rule from the raw times (its own gaps, quantiles, fallback), and
  must agree customer by customer;
- the generator knows who churned: regulars who churned long enough ago must be flagged,
  and regulars who never churned mostly must not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench import customers as bench
from heedback.customers import services
from heedback.customers.inputs import CustomerInput, InteractionInput
from heedback.customers.models import Customer

COUNT = 1000
NOW = bench.NOW


@pytest.fixture
def world(organisation):
    generated = bench.generate(COUNT, seed=11)
    services.upsert_customers(
        organisation, [CustomerInput(external_id=item.external_id) for item in generated]
    )
    items = [
        InteractionInput(external_id, customer_id, kind, when)
        for customer_id, external_id, kind, when, _value in bench.interactions_of(generated)
    ]
    for start in range(0, len(items), 1000):
        results = services.record_interactions(organisation, items[start : start + 1000], now=NOW)
        assert {result.status for result in results} == {"created"}
    services.refresh_lapse()
    stored = {
        external_id: (lapse_at, at_risk_at)
        for external_id, lapse_at, at_risk_at in Customer.objects.filter(
            organisation=organisation
        ).values_list("external_id", "lapse_at", "at_risk_at")
    }
    lapsed = {key for key, (lapse_at, _r) in stored.items() if lapse_at and lapse_at < NOW}
    at_risk = {
        key
        for key, (lapse_at, risk_at) in stored.items()
        if risk_at and risk_at < NOW and not (lapse_at and lapse_at < NOW)
    }
    return generated, lapsed, at_risk


def pandas_flags(generated) -> tuple[set[str], set[str]]:
    """Apply the default rule with pandas, from the generator's raw times."""
    frame = pd.DataFrame(
        [(item.external_id, when) for item in generated for when in item.times],
        columns=["customer", "at"],
    ).sort_values(["customer", "at"])
    frame["gap"] = frame.groupby("customer")["at"].diff().dt.total_seconds()
    gaps = frame[frame["gap"] >= 12 * 3600].groupby("customer")["gap"]
    per = frame.groupby("customer").agg(last=("at", "max"))
    per["gaps"] = gaps.size().reindex(per.index, fill_value=0)
    per["q75"] = gaps.quantile(0.75)
    per["q90"] = gaps.quantile(0.90)
    has_rhythm = per["gaps"] + 1 >= 3
    threshold = np.where(per["gaps"] >= 5, per["q90"], np.maximum(per["q90"], 60 * 86400.0))
    absent = (pd.Timestamp(NOW) - per["last"]).dt.total_seconds()
    lapsed = has_rhythm & (absent > threshold)
    at_risk = has_rhythm & (absent > per["q75"]) & ~lapsed
    return set(per.index[lapsed]), set(per.index[at_risk])


def test_flags_agree_with_an_independent_pandas_computation(world):
    generated, lapsed, at_risk = world
    expected_lapsed, expected_at_risk = pandas_flags(generated)
    assert lapsed == expected_lapsed
    assert at_risk == expected_at_risk
    assert len(lapsed) > 50
    assert len(at_risk) > 20


def test_flags_find_the_churners_the_generator_made(world):
    generated, lapsed, _at_risk = world
    churned = [item for item in generated if bench.detectable_truth(item, NOW) is True]
    active = [item for item in generated if bench.detectable_truth(item, NOW) is False]
    assert len(churned) >= 80
    assert len(active) >= 500
    recall = sum(item.external_id in lapsed for item in churned) / len(churned)
    false_alarms = sum(item.external_id in lapsed for item in active) / len(active)
    assert recall >= 0.95, recall
    assert false_alarms <= 0.10, false_alarms
    # Those who stopped right after a bad experience are found like the others.
    after_bad = [
        item
        for item in generated
        if item.bad_experience and bench.detectable_truth(item, NOW) is True
    ]
    assert after_bad
    assert sum(item.external_id in lapsed for item in after_bad) / len(after_bad) >= 0.9
