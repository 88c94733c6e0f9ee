"""'Today' is London's date everywhere, whatever zone the server's clock is set to."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from safeguarding.core import calendar
from safeguarding.core.calendar import today_in_london

SRC = Path(__file__).resolve().parents[2] / "src" / "safeguarding"

# The server's local date or clock, or an inline "today in England" instead of the one function.
LOCAL_CLOCK = re.compile(
    r"\bdate\.today\(\)|\bdatetime\.today\(\)|\bdatetime\.now\(\s*\)|\bdatetime\.utcnow\(|\.astimezone\(\s*\)"
    r"|\btime\.localtime\(|\.astimezone\(LONDON\)\.date\(\)"
)


def _offending_lines() -> list[str]:
    found: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "calendar.py" and path.parent.name == "core":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in LOCAL_CLOCK.finditer(line):
                text = match.group(0)
                # A stored moment's date in England is not "today": only the clock's own reading is refused.
                if text.startswith(".astimezone(LONDON)") and not re.search(
                    r"(utcnow\(\)|datetime\.now\([^)]*\))\.astimezone\(LONDON\)\.date\(\)", line
                ):
                    continue
                found.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    return found


def test_no_code_reads_the_servers_local_date() -> None:
    offending = _offending_lines()
    assert not offending, (
        "use safeguarding.core.calendar.today_in_london() (or now_in_london()), never the "
        "server's local date:\n" + "\n".join(offending)
    )


class _Frozen(datetime):
    """The clock at 13:00 UTC on 31 March 2026: 14:00 in London, already 02:00 on 1 April in Auckland."""

    moment = datetime(2026, 3, 31, 13, 0, tzinfo=UTC)

    @classmethod
    def now(cls, tz: Any = None) -> Any:
        if tz is None:
            return cls.moment.astimezone().replace(tzinfo=None)  # the process's local clock
        return cls.moment.astimezone(tz)


@pytest.fixture()
def in_auckland() -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Pacific/Auckland"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


def test_today_is_londons_date_when_the_server_is_in_auckland(
    in_auckland: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calendar, "datetime", _Frozen)
    # The process really is in Auckland, where it is already the next day ...
    assert _Frozen.now().date() == date(2026, 4, 1)
    assert date.fromtimestamp(_Frozen.moment.timestamp()) == date(2026, 4, 1)
    # ... and today is still London's date.
    assert today_in_london() == date(2026, 3, 31)
    assert calendar.now_in_london().date() == date(2026, 3, 31)


def test_every_today_of_the_service_is_the_one_function() -> None:
    from safeguarding.casework import recording
    from safeguarding.people import records as people_records
    from safeguarding.timescales import service as timescales_service

    assert people_records.today_in_london is today_in_london
    assert recording.today_in_london is today_in_london
    assert timescales_service.today_in_london is today_in_london
