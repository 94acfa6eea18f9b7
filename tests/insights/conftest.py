"""Two periods of answers at two hotels, with figures worked out by hand in the tests.

January 2026 (the period) against December 2025 (the previous period of the same length):

- Harbour Hotel, 40 responses each month. ``staff`` (front-line behaviours): 30 of 40
  favourable in January, 15 of 40 in December. ``room_cleanliness`` (environment): all 5s
  in both. NPS: January 20×10, 10×8, 10×3 (+25); December 10×10, 10×8, 20×3 (−25).
- Hill Hotel, 10 responses each month (below the minimum of 30): ``staff`` 5 of 10
  favourable both months, NPS all 9s.
"""

from __future__ import annotations

from datetime import date

import pytest

PERIOD = {"date_from": "2026-01-01", "date_to": "2026-01-31", "period": "custom"}
JANUARY, DECEMBER = date(2026, 1, 1), date(2025, 12, 1)


def _items(unit, month: date, rows, prefix: str):
    items = []
    for index, answers in enumerate(rows):
        day = month.replace(day=1 + index % 28)
        items.append(
            {
                "idempotency_key": f"{prefix}-{index}",
                "unit": unit.pk,
                "answers": answers,
                "submitted_at": f"{day.isoformat()}T12:00:00+00:00",
            }
        )
    return items


def harbour_rows(favourable: int, nps_values: list[int]):
    return [
        {"staff": 5 if index < favourable else 2, "room_cleanliness": 5, "nps": nps}
        for index, nps in enumerate(nps_values)
    ]


@pytest.fixture
def two_months(api, published_survey, hotel, other_hotel):
    january_nps = [10] * 20 + [8] * 10 + [3] * 10
    december_nps = [10] * 10 + [8] * 10 + [3] * 20
    hill = [{"staff": 5 if index < 5 else 1, "nps": 9} for index in range(10)]
    items = [
        *_items(hotel, JANUARY, harbour_rows(30, january_nps), "hj"),
        *_items(hotel, DECEMBER, harbour_rows(15, december_nps), "hd"),
        *_items(other_hotel, JANUARY, hill, "lj"),
        *_items(other_hotel, DECEMBER, hill, "ld"),
    ]
    stored = api.post(f"/api/v1/surveys/{published_survey.pk}/responses/batch", {"items": items})
    assert stored.status_code == 200, stored.json()
    assert stored.json()["created"] == 100, stored.json()["results"][:3]
    return published_survey
