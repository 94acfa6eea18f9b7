"""`heedback import responses`: output, progress bar, exit codes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from heedback.collect.models import Response
from tests.collect.test_import import GOOD_ROWS, MAPPING, make_survey, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(organisation, hotel, other_hotel):
    return make_survey(organisation)


@pytest.fixture
def files(tmp_path):
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(MAPPING))
    return tmp_path, mapping


def heedback_import(survey, path, mapping, *flags, org="acme"):
    """Run the command; return (exit code, stdout, stderr) as a shell would see them."""
    out, err = io.StringIO(), io.StringIO()
    arguments = ["responses", str(path), "--org", org, "--survey", str(survey.pk)]
    try:
        call_command(
            "import", *arguments, "--mapping", str(mapping), *flags, stdout=out, stderr=err
        )
    except CommandError as error:
        return error.returncode, out.getvalue(), f"{err.getvalue()}{error}"
    return 0, out.getvalue(), err.getvalue()


def test_a_clean_import_exits_0_with_a_summary_and_a_progress_bar(survey, files):
    folder, mapping = files
    path = write_csv(folder / "cards.csv", GOOD_ROWS)
    code, out, err = heedback_import(survey, path, mapping)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Imported 3 rows in ")
    assert lines[0].endswith(" s: 3 created, 0 duplicates, 0 invalid.")
    assert err.startswith("\rchecking [")
    assert "\rwriting  [##############################] 3/3" in err
    assert Response.objects.count() == 3
    code, out, _err = heedback_import(survey, path, mapping)
    assert code == 0
    assert out.splitlines()[0].endswith(": 0 created, 3 duplicates, 0 invalid.")


def test_invalid_rows_exit_1_and_write_nothing(survey, files):
    folder, mapping = files
    rows = [*GOOD_ROWS, ["r4", "Harbour Hotel", "2024-05-01", "11", "", "", "", ""]]
    path = write_csv(folder / "cards.csv", rows)
    code, out, err = heedback_import(survey, path, mapping)
    assert code == 1
    assert out.splitlines()[0] == "line 5: Score: must be a whole number from 0 to 10 (got '11')"
    assert out.splitlines()[1].startswith("Checked 4 rows in ")
    assert err.endswith(
        "Nothing was imported: 1 of 4 rows are invalid. "
        "Fix them, or give --skip-invalid to import the 3 good rows."
    )
    assert Response.objects.count() == 0


def test_a_dry_run_reports_and_exits_1_on_invalid_rows_0_when_clean(survey, files):
    folder, mapping = files
    bad = write_csv(folder / "bad.csv", [["r1", "Nowhere", "2024-05-01", "9", "", "", "", ""]])
    code, out, err = heedback_import(survey, bad, mapping, "--dry-run")
    assert code == 1
    assert out.splitlines()[0] == (
        "line 2: Hotel: no unit has this name or id (--create-units creates it) (got 'Nowhere')"
    )
    assert err.endswith("1 of 1 rows are invalid.")
    code, out, _err = heedback_import(survey, bad, mapping, "--dry-run", "--create-units")
    assert code == 0
    assert out.splitlines()[0].endswith(": 1 to create, 0 duplicates, 0 invalid.")
    assert out.splitlines()[1] == "Units to create: Nowhere"
    assert Response.objects.count() == 0


def test_skip_invalid_names_the_bad_rows_file_next_to_the_input(survey, files):
    folder, mapping = files
    rows = [*GOOD_ROWS, ["r4", "Harbour Hotel", "2024-05-01", "11", "", "", "", ""]]
    path = write_csv(folder / "cards.csv", rows)
    code, out, err = heedback_import(survey, path, mapping, "--skip-invalid")
    assert code == 1
    assert out.splitlines()[1].endswith(": 3 created, 0 duplicates, 1 invalid.")
    assert (
        out.splitlines()[2] == f"Bad rows, with the reason of each: {folder / 'cards.bad-rows.csv'}"
    )
    assert err.endswith("1 invalid rows were skipped.")
    assert (folder / "cards.bad-rows.csv").read_text().startswith("line,reason,Ref,")
    assert Response.objects.count() == 3


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--org", "nope"], "No organisation has the slug 'nope'."),
        (["--survey", "0"], "The organisation 'acme' has no survey 0."),
        (["--mapping", "missing.json"], "The column mapping cannot be read. mapping: No such file"),
        (["--file", "missing.csv"], "There is no file "),
        (["--mapping", "wrong.json"], "The column mapping does not fit the file and the survey. "),
    ],
)
def test_usage_errors_exit_2(survey, files, arguments, message):
    folder, mapping = files
    path = write_csv(folder / "cards.csv", GOOD_ROWS)
    (folder / "wrong.json").write_text(json.dumps({**MAPPING, "unit": "Branch"}))
    options = {"--org": "acme", "--survey": str(survey.pk), "--mapping": str(mapping)}
    options |= {"--file": str(path)}
    name, value = arguments
    options[name] = value if name in ("--org", "--survey") else str(folder / value)
    out, err = io.StringIO(), io.StringIO()
    command = ["responses", options.pop("--file")]
    for option, option_value in options.items():
        command += [option, option_value]
    with pytest.raises(CommandError) as caught:
        call_command("import", *command, stdout=out, stderr=err)
    assert caught.value.returncode == 2
    assert str(caught.value).startswith(message)
    assert Response.objects.count() == 0


def test_a_survey_that_is_not_published_is_refused_with_1(organisation, files):
    from heedback.surveys import services as survey_services
    from tests.collect.test_import import DEFINITION

    draft = survey_services.create_survey(organisation, name="Draft", definition=DEFINITION)
    folder, mapping = files
    path = write_csv(folder / "cards.csv", GOOD_ROWS)
    code, _out, err = heedback_import(draft, path, mapping)
    assert code == 1
    assert err == "Publish the survey before importing responses into it. survey: not open."


def test_missing_arguments_exit_2_from_the_real_command(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env["HEEDBACK_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "heedback.cli", "import", "responses", "cards.csv"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "the following arguments are required: --org, --survey, --mapping" in result.stderr
    wrong = subprocess.run(
        [sys.executable, "-m", "heedback.cli", "import", "surveys"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert wrong.returncode == 2
    assert "invalid choice: 'surveys'" in wrong.stderr
