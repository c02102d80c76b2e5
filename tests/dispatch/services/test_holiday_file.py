"""The holiday supplement file is checked strictly and installed when the app is created."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from dispatch.app import create_app
from dispatch.services.holiday_file import HolidayFileError, load_holiday_file
from dispatch.workdays import calendar_covers, is_working_day, supplement_years

# Made-up days of 2031, a year no package covers: not the content of any real notice.
GOOD = {"2031": {"holidays": ["2031-01-01", "2031-01-02"], "workdays": ["2031-01-04"]}}


def write(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "holidays.json"
    text = content if isinstance(content, str) else json.dumps(content)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_loads(tmp_path):
    """Each year becomes its days off and its make-up working days."""
    years = load_holiday_file(write(tmp_path, GOOD))
    assert set(years) == {2031}
    assert years[2031].holidays == {date(2031, 1, 1), date(2031, 1, 2)}
    assert years[2031].workdays == {date(2031, 1, 4)}


@pytest.mark.parametrize(
    ("content", "entry"),
    [
        ({"2031": {"holidays": ["2031-02-30"], "workdays": []}}, "2031.holidays[0]: '2031-02-30'"),
        ({"2031": {"holidays": ["2031/01/01"], "workdays": []}}, "2031.holidays[0]: '2031/01/01'"),
        ({"2031": {"holidays": [], "workdays": [20310104]}}, "2031.workdays[0]: 20310104"),
        ({"2031": {"holidays": ["2030-12-31"], "workdays": []}}, "2030-12-31' is not in 2031"),
        (
            {"2031": {"holidays": ["2031-01-01", "2031-01-04"], "workdays": ["2031-01-04"]}},
            "2031: 2031-01-04 is both a holiday and a workday",
        ),
        (
            {"2031": {"holidays": ["2031-01-01", "2031-01-01"], "workdays": []}},
            "2031.holidays[1]: '2031-01-01' is listed twice",
        ),
        ({"31": {"holidays": [], "workdays": []}}, "'31': a year key must be four digits"),
        ({"2031": {"holidays": []}}, "2031: must be an object with exactly"),
        ({"2031": {"holidays": [], "workdays": [], "note": ""}}, "2031: must be an object"),
        ({"2031": {"holidays": "2031-01-01", "workdays": []}}, "2031.holidays: must be a list"),
        (["2031-01-01"], "the top level must be an object"),
        ('{"2031": {"holidays": [,]}}', "not valid JSON"),
    ],
)
def test_a_malformed_file_is_refused_naming_the_entry(tmp_path, content, entry):
    """The error names the file and the entry that is wrong."""
    path = write(tmp_path, content)
    with pytest.raises(HolidayFileError) as caught:
        load_holiday_file(path)
    assert str(caught.value).startswith(f"节假日文件有误 / Bad holiday file {path}: ")
    assert entry in caught.value.detail


def test_a_missing_file_is_refused(tmp_path):
    """A configured file that is not there stops the start instead of silently guessing."""
    with pytest.raises(HolidayFileError, match="nowhere.json: cannot read it: "):
        load_holiday_file(tmp_path / "nowhere.json")


def test_create_app_installs_the_file_named_by_the_environment(tmp_path, monkeypatch, supplement):
    """DAIBAN_HOLIDAYS_FILE is read once at app creation; a later app without one drops it."""
    monkeypatch.setenv("DAIBAN_HOLIDAYS_FILE", str(write(tmp_path, GOOD)))
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["HOLIDAYS_FILE"].endswith("holidays.json")
    assert supplement_years() == (2031,)
    assert calendar_covers(date(2031, 1, 4)) and is_working_day(date(2031, 1, 4))
    monkeypatch.delenv("DAIBAN_HOLIDAYS_FILE")
    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert supplement_years() == ()
    assert not is_working_day(date(2031, 1, 4))


def test_create_app_refuses_a_bad_file(tmp_path, supplement):
    """A wrong calendar would move every promise, so the app does not start on one."""
    bad = write(tmp_path, {"2031": {"holidays": ["2031-13-01"], "workdays": []}})
    with pytest.raises(HolidayFileError, match=r"2031\.holidays\[0\]"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "HOLIDAYS_FILE": bad})
    assert supplement_years() == ()


REPO = Path(__file__).resolve().parents[3]
STARTS = {
    "daiban serve": ["-c", "from dispatch.cli import cli; cli()", "serve", "--port", "5119"],
    "celery worker": ["-c", "import dispatch.celery_worker"],
}


@pytest.mark.parametrize("start", sorted(STARTS))
@pytest.mark.parametrize(
    ("content", "detail"),
    [
        ({"2031": {"holidays": ["2031-02-30"], "workdays": []}}, "2031.holidays[0]"),
        ('{"2031": {"holidays": [', "not valid JSON"),
    ],
)
def test_a_bad_file_stops_the_start_in_one_line(tmp_path, start, content, detail):
    """The web server and the Celery worker refuse a bad calendar with one line naming the
    file and the entry, and no traceback."""
    bad = write(tmp_path, content)
    env = os.environ | {
        "DAIBAN_HOLIDAYS_FILE": str(bad),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
    }
    run = subprocess.run(
        [sys.executable, *STARTS[start]],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, run.stderr
    assert str(bad) in errors[0] and detail in errors[0], errors
