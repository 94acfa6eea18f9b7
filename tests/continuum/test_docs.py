"""The documentation keeps up with the instrument and the indicators."""

from __future__ import annotations

from pathlib import Path

import pytest

from heedback.continuum.choices import FactorChoice, LevelChoice
from heedback.continuum.instrument import Factor, Level, current_instrument
from heedback.continuum.registry import registered_indicators

DOC = (Path(__file__).parents[2] / "docs" / "continuum.md").read_text()


@pytest.mark.parametrize("statement", current_instrument().statements, ids=lambda s: s.id)
def test_every_statement_is_documented_with_its_text_and_level(statement):
    row = next((line for line in DOC.splitlines() if line.startswith(f"| `{statement.id}` |")), "")
    assert row, f"{statement.id} has no row in docs/continuum.md"
    assert f"| {statement.level.key} | {statement.weight:g} | {statement.text} |" in row


def test_every_indicator_is_documented():
    for indicator in registered_indicators():
        assert f"| `{indicator.key}` |" in DOC, indicator.key


def test_the_display_choices_match_the_instrument():
    assert [choice.value for choice in LevelChoice] == [int(level) for level in Level]
    assert [choice.value for choice in FactorChoice] == [factor.value for factor in Factor]
