"""The README documents every setting: a HEEDBACK_ variable read in the code has a row."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VARIABLE = re.compile(r"HEEDBACK_[A-Z][A-Z_]*[A-Z]")
# Read by the test and benchmark tooling only, never by the product.
TOOLING = {"HEEDBACK_SHARED_DATA"}


def variables_read_by_the_product() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "src" / "heedback").rglob("*.py"):
        found |= set(VARIABLE.findall(path.read_text(encoding="utf-8")))
    return found - TOOLING


def test_every_setting_read_by_the_product_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(VARIABLE.findall(readme))
    missing = sorted(variables_read_by_the_product() - documented)
    assert missing == [], f"undocumented settings: {missing}"
