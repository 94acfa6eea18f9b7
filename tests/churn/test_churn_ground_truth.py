"""Lapse after an NPS answer, against the generator's truth and an independent pandas count.

The generator (``bench/customers.py``) makes interaction histories and the surveys their
customers answered; churners' answers lean low. Heedback judges lapse (the worker's
refresh) and counts lapse per band of each customer's last answer (``insights.churn``).
pandas then recomputes the lapse instants from the raw times and applies the stated
definition to the raw answers: the counts must agree exactly, band by band. Against the
truth, detractors must lapse more than promoters, as the generator made them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench import customers as bench
from heedback.collect.models import Answer, Response
from heedback.collect.services import answer_row
from heedback.customers import services
from heedback.customers.models import Customer
from heedback.insights import churn
from heedback.insights.metrics import two_proportion_test

COUNT = 1000
NOW = bench.NOW
WINDOW = churn.ChurnWindow(as_of=NOW, follow_days=90)
BANDS = {"detractor": (0, 6), "passive": (7, 8), "promoter": (9, 10)}


@pytest.fixture
def world(organisation, published_survey, hotel):
    generated = bench.generate(COUNT, seed=23)
    answers = list(bench.answers_of(generated, seed=23))
    bench.load(organisation, generated)
    services.refresh_lapse()
    ids = dict(Customer.objects.for_org(organisation).values_list("external_id", "pk"))
    version = published_survey.published_version
    [nps] = [q for q in version.parsed().questions if q.key == "nps"]
    responses = Response.objects.bulk_create(
        Response(
            organisation=organisation,
            survey=published_survey,
            version=version,
            unit=hotel,
            idempotency_key=f"gt-{index}",
            submitted_at=when,
            local_date=when.date(),
            customer_id=ids[external_id],
        )
        for index, (external_id, when, _score) in enumerate(answers)
    )
    Answer.objects.bulk_create(
        answer_row(response, nps, score)
        for response, (_id, _when, score) in zip(responses, answers, strict=True)
    )
    return generated, answers


def pandas_lapse_instants(generated) -> pd.Series:
    """Return each judged customer's lapse instant, by the default rule, from raw times."""
    frame = pd.DataFrame(
        [(item.external_id, when) for item in generated for when in item.times],
        columns=["customer", "at"],
    ).sort_values(["customer", "at"])
    frame["gap"] = frame.groupby("customer")["at"].diff().dt.total_seconds()
    gaps = frame[frame["gap"] >= 12 * 3600].groupby("customer")["gap"]
    per = frame.groupby("customer").agg(last=("at", "max"))
    per["gaps"] = gaps.size().reindex(per.index, fill_value=0)
    per["q90"] = gaps.quantile(0.90)
    per = per[per["gaps"] + 1 >= 3]
    threshold = np.where(per["gaps"] >= 5, per["q90"], np.maximum(per["q90"], 60 * 86400.0))
    return per["last"] + pd.to_timedelta(threshold, unit="s")


def pandas_bands(generated, answers) -> dict[str, tuple[int, int]]:
    """Apply the page's definition with pandas: (lapsed, customers) per band."""
    lapse_at = pandas_lapse_instants(generated).rename("lapse_at")
    frame = pd.DataFrame(answers, columns=["customer", "at", "score"]).join(lapse_at, on="customer")
    frame = frame.dropna(subset=["lapse_at"])
    frame = frame[
        (frame["at"] <= pd.Timestamp(WINDOW.answers_until)) & (frame["at"] < frame["lapse_at"])
    ]
    last = frame.sort_values("at").groupby("customer").tail(1)
    last = last.assign(lapsed=last["lapse_at"] < pd.Timestamp(NOW))
    return {
        band: (int(rows["lapsed"].sum()), len(rows))
        for band, (low, high) in BANDS.items()
        for rows in [last[(last["score"] >= low) & (last["score"] <= high)]]
    }


def test_lapse_after_each_band_agrees_with_pandas(world, organisation):
    generated, answers = world
    figures = churn.churn_figures(organisation, Customer.objects.for_org(organisation), WINDOW)
    counted = {band.key: (band.lapsed, band.n) for band in figures.nps}
    assert counted == pandas_bands(generated, answers)
    assert sum(n for _lapsed, n in counted.values()) > 400


def test_detractors_lapse_more_often_as_the_generator_made_them(world, organisation):
    generated, _answers = world
    figures = churn.churn_figures(organisation, Customer.objects.for_org(organisation), WINDOW)
    detractors, passives, promoters = figures.nps
    assert detractors.rate > passives.rate > promoters.rate
    test = two_proportion_test(detractors.lapsed, detractors.n, promoters.lapsed, promoters.n)
    assert test.p_value < 0.001
    [detractor_promoter] = [
        c
        for c in figures.nps_comparisons
        if (c.first.key, c.second.key) == ("detractor", "promoter")
    ]
    assert detractor_promoter.is_significant
    # The truth: the generator's churners among the same customers, band by band.
    churned = {item.external_id for item in generated if item.churned}
    lapse_at = pandas_lapse_instants(generated)
    frame = pd.DataFrame(_answers, columns=["customer", "at", "score"]).join(
        lapse_at.rename("lapse_at"), on="customer"
    )
    frame = frame[
        (frame["at"] <= pd.Timestamp(WINDOW.answers_until)) & (frame["at"] < frame["lapse_at"])
    ]
    last = frame.sort_values("at").groupby("customer").tail(1)
    truth = {
        band: last[(last["score"] >= low) & (last["score"] <= high)]["customer"]
        .isin(churned)
        .mean()
        for band, (low, high) in BANDS.items()
    }
    assert truth["detractor"] > truth["passive"] > truth["promoter"]
    # Heedback's rates sit within their interval of the true churn share, or close to it:
    # lapse lags churn (a recent churner is not lapsed yet), so it never overstates much.
    for band in figures.nps:
        low, high = band.interval
        assert low - 0.1 <= truth[band.key] <= high + 0.1, (band.key, band.rate, truth[band.key])
