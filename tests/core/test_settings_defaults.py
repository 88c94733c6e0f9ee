"""Without SAFEGUARDING_DATABASE_URL, the database is ./var/safeguarding.db under the working directory: the
source tree for `make run`, the operator's folder for an installed wheel (never inside site-packages)."""

from __future__ import annotations

from pathlib import Path

import pytest

from safeguarding.core.db import make_engine
from safeguarding.core.settings import Settings


def test_the_default_database_is_under_the_working_directory_and_its_folder_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAFEGUARDING_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    url = Settings().database_url
    assert url == f"sqlite:///{tmp_path / 'var' / 'safeguarding.db'}"
    engine = make_engine(url)
    with engine.connect():
        pass
    engine.dispose()
    assert (tmp_path / "var" / "safeguarding.db").is_file()
