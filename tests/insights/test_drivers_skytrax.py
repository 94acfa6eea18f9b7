"""Driver figures on real data, against an independent computation with pandas and statsmodels.

The 2,192 valid Skytrax lounge reviews are imported as a user would (the importer, through
the submission path); Heedback's driver analysis reads them from the driver sums. The test
computes the same figures from the CSV file itself: pandas' pairwise correlations for the
reviews with gaps, statsmodels OLS on z-scored data for the reviews that rated everything,
and the Shapley values by brute force over every ordering of the predictors.
"""

from __future__ import annotations

import math
from itertools import combinations, permutations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from heedback.collect import importing
from heedback.collect.models import Response
from heedback.insights import drivers, services
from heedback.insights.driver_selectors import DriverQuery, analyse_drivers
from tests.collect.test_import_skytrax import (
    DOMAINS,
    MAPPING,
    RATING_COLUMNS,
    lounge_survey,
)
from tests.shared_data import shared_path

pytestmark = pytest.mark.django_db

COLUMNS = ["overall_rating", *(RATING_COLUMNS[key] for key in DOMAINS)]
KEYS = ["overall", *DOMAINS]


@pytest.fixture
def lounge() -> Path:
    """Return the lounge reviews (``tests.shared_data``: skipped with a reason when absent)."""
    return shared_path("skytrax", "lounge.csv")


def reviews(path) -> pd.DataFrame:
    """Read the reviews the importer accepts: overall rated 1–5; a domain's 0 is "not rated"."""
    frame = pd.read_csv(path)[COLUMNS]
    frame = frame[frame["overall_rating"].isin([1, 2, 3, 4, 5])]
    frame = frame.replace({column: {0: np.nan} for column in COLUMNS[1:]})
    frame.columns = KEYS
    return frame


def import_reviews(organisation, path, name: str):
    survey = lounge_survey(organisation)
    survey.name = name
    survey.save(update_fields=["name"])
    request = importing.ImportRequest(
        survey=survey,
        path=path,
        mapping=importing.parse_mapping(MAPPING),
        options=importing.ImportOptions(create_units=True, skip_invalid=True),
    )
    importing.run_import(request)
    return survey


def test_pairwise_drivers_equal_pandas_pairwise_correlations(organisation, lounge):
    frame = reviews(lounge)
    survey = import_reviews(organisation, lounge, "Lounges")
    assert Response.objects.filter(survey=survey).count() == len(frame) == 2192
    query = DriverQuery(organisation=organisation, survey=survey, outcome_key="overall")
    from_tail = analyse_drivers(query)  # nothing rolled up yet: all from the raw rows
    services.refresh_rollups()
    result = analyse_drivers(query)
    assert [row.key for row in from_tail.rows] == [row.key for row in result.rows]
    assert from_tail.r_squared == result.r_squared

    correlations = frame.corr()  # pandas: pairwise complete observations
    predictors_matrix = correlations.loc[DOMAINS, DOMAINS].to_numpy()
    with_outcome = correlations.loc[DOMAINS, "overall"].to_numpy()
    beta = np.linalg.solve(predictors_matrix, with_outcome)
    counts = frame.notna().astype(int).T @ frame.notna().astype(int)
    assert result.n == counts.to_numpy().min() == 1968
    assert result.r_squared == pytest.approx(float(with_outcome @ beta), abs=1e-12)
    by_key = {row.key: row for row in result.rows}
    for index, key in enumerate(DOMAINS):
        assert by_key[key].beta == pytest.approx(beta[index], abs=1e-9)
        assert by_key[key].answered == frame[key].notna().sum()
        assert by_key[key].performance == pytest.approx((frame[key].mean() - 1) * 25, abs=1e-9)
    assert {warning.code for warning in result.warnings} == {"pairwise"}


def test_complete_reviews_give_statsmodels_ols_on_standardised_data(organisation, lounge, tmp_path):
    complete = pd.read_csv(lounge)
    rated = (complete[COLUMNS[1:]] > 0).all(axis=1) & complete["overall_rating"].isin(range(1, 6))
    path = tmp_path / "complete.csv"
    complete[rated].to_csv(path, index=False)
    frame = reviews(path)
    assert not frame.isna().any().any()
    survey = import_reviews(organisation, path, "Complete lounges")
    services.refresh_rollups()
    result = analyse_drivers(
        DriverQuery(organisation=organisation, survey=survey, outcome_key="overall")
    )
    assert result.n == len(frame) == 1937
    assert result.warnings == ()

    standardised = (frame - frame.mean()) / frame.std(ddof=1)
    ols = sm.OLS(standardised["overall"], sm.add_constant(standardised[DOMAINS])).fit()
    assert result.r_squared == pytest.approx(ols.rsquared, abs=1e-12)
    assert result.adjusted_r_squared == pytest.approx(ols.rsquared_adj, abs=1e-12)
    by_key = {row.key: row for row in result.rows}
    for key in DOMAINS:
        row = by_key[key]
        assert row.beta == pytest.approx(ols.params[key], abs=1e-6)
        assert row.standard_error == pytest.approx(ols.bse[key], abs=1e-6)
        assert row.t == pytest.approx(ols.tvalues[key], abs=1e-6)
        assert row.p_value == pytest.approx(ols.pvalues[key], abs=1e-6)
        assert row.is_significant == (ols.pvalues[key] < 0.05)

    # Shapley by brute force: R² of every subset from statsmodels, averaged over orderings.
    r_squared = {(): 0.0}
    for size in range(1, len(DOMAINS) + 1):
        for subset in combinations(DOMAINS, size):
            model = sm.OLS(frame["overall"], sm.add_constant(frame[list(subset)])).fit()
            r_squared[subset] = model.rsquared
    gains = dict.fromkeys(DOMAINS, 0.0)
    orderings = list(permutations(DOMAINS))
    for ordering in orderings:
        for position, key in enumerate(ordering):
            before = tuple(sorted(ordering[:position], key=DOMAINS.index))
            after = tuple(sorted(ordering[: position + 1], key=DOMAINS.index))
            gains[key] += r_squared[after] - r_squared[before]
    for key in DOMAINS:
        assert by_key[key].shapley == pytest.approx(gains[key] / len(orderings), abs=1e-9)
    assert sum(row.shapley for row in result.rows) == pytest.approx(ols.rsquared, abs=1e-12)
    assert math.isclose(sum(row.share for row in result.rows), 1.0, abs_tol=1e-12)
    quadrants = {row.key: row.quadrant for row in result.rows}
    assert set(quadrants.values()) <= set(drivers.QUADRANTS)
