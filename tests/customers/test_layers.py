"""The customers app sits below collect, insights, loop and continuum: it never imports them.

Pages may compose other apps' figures (the loyalty page uses insights' interval formula),
so only the page helpers are allowed to; services, selectors, models and the API are not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import heedback.customers

HIGHER_APPS = ("collect", "insights", "loop", "continuum", "text")
PAGE_MODULES = {"loyalty_page.py", "views.py", "win_back_page.py", "import_page.py"}
# The continuum's indicator contract is pure (no models): the module declaring this app's
# continuum evidence may import it, and nothing else of the continuum.
CONTRACT_MODULES = {"heedback.continuum.evidence", "heedback.continuum.instrument"}
CONTRACT_USERS = {"indicators.py"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_customers_app_does_not_import_apps_above_it():
    root = Path(heedback.customers.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path.name in PAGE_MODULES or "migrations" in path.parts:
            continue
        for module in imported_modules(path):
            if path.name in CONTRACT_USERS and module in CONTRACT_MODULES:
                continue
            if any(module.startswith(f"heedback.{app}") for app in HIGHER_APPS):
                offenders.append(f"{path.relative_to(root)} imports {module}")
    assert offenders == []


def test_the_lapse_and_economics_modules_are_free_of_django():
    root = Path(heedback.customers.__file__).parent
    for name in ("lapse.py", "economics.py"):
        assert not any(m.startswith("django") for m in imported_modules(root / name)), name
