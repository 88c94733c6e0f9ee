"""A council's rows as a release wrote them: dumped to gzipped JSON lines, loaded into a database at that release.

Both sides read the tables by reflection, never through today's models, so a dump made at release N still loads
into a database built at revision N after the models have moved on. Layout of a dump:

    {"format": 1, "revision": "0001", "made_with": "..."}
    {"table": "person", "columns": ["id", ...], "kinds": {"created_at": "datetime", "date_of_birth": "date"}}
    [1, ...]            one line per row, in primary-key order
    {"table": ...}      the next table
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, MetaData, Table, select, text

FORMAT = 1
HERE = Path(__file__).resolve().parent


def fixture_path(revision: str) -> Path:
    return HERE / f"{revision}_demo_council.jsonl.gz"


def reflected(connection: Connection) -> MetaData:
    metadata = MetaData()
    metadata.reflect(connection)
    if "alembic_version" in metadata.tables:
        metadata.remove(metadata.tables["alembic_version"])
    return metadata


def _kind(table: Table, column: str) -> str | None:
    try:
        python_type = table.c[column].type.python_type
    except NotImplementedError:
        return None
    if issubclass(python_type, datetime):
        return "datetime"
    if issubclass(python_type, date):
        return "date"
    return None


def encode(value: Any) -> Any:
    """A stored value as JSON: times in UTC without a zone (as SQLite stores them), dates as ISO days."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def decode(value: Any, kind: str | None) -> Any:
    if value is None or kind is None:
        return value
    if kind == "datetime":
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return date.fromisoformat(value)


def order_of(table: Table) -> list[Any]:
    return list(table.primary_key.columns) or list(table.c)


def dump(connection: Connection, revision: str, out: Path, made_with: str) -> dict[str, int]:
    """Every row of every table of the database behind ``connection``; returns the row count of each table."""
    metadata = reflected(connection)
    counts: dict[str, int] = {}
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as file:
        file.write(json.dumps({"format": FORMAT, "revision": revision, "made_with": made_with}) + "\n")
        for table in metadata.sorted_tables:
            columns = [c.name for c in table.c]
            kinds = {name: kind for name in columns if (kind := _kind(table, name))}
            file.write(json.dumps({"table": table.name, "columns": columns, "kinds": kinds}) + "\n")
            counts[table.name] = 0
            for row in connection.execute(select(table).order_by(*order_of(table))):
                file.write(json.dumps([encode(v) for v in row], separators=(",", ":")) + "\n")
                counts[table.name] += 1
    return counts


def read(path: Path) -> Iterator[tuple[str, list[str], list[dict[str, Any]]]]:
    """Each table of a dump: its name, its columns and its rows (values decoded)."""
    with gzip.open(path, "rt", encoding="utf-8") as file:
        header = json.loads(file.readline())
        assert header["format"] == FORMAT, f"{path.name}: dump format {header['format']}, expected {FORMAT}"
        table: dict[str, Any] | None = None
        rows: list[dict[str, Any]] = []
        for line in file:
            item = json.loads(line)
            if isinstance(item, dict):
                if table is not None:
                    yield table["table"], table["columns"], rows
                table, rows = item, []
                continue
            assert table is not None
            kinds = table["kinds"]
            rows.append({c: decode(v, kinds.get(c)) for c, v in zip(table["columns"], item, strict=True)})
        if table is not None:
            yield table["table"], table["columns"], rows


def revision_of(path: Path) -> str:
    with gzip.open(path, "rt", encoding="utf-8") as file:
        return str(json.loads(file.readline())["revision"])


def load(connection: Connection, path: Path) -> dict[str, int]:
    """Insert a dump's rows into a database at the dump's revision (tables read by reflection)."""
    metadata = reflected(connection)
    counts: dict[str, int] = {}
    for name, _columns, rows in read(path):
        if rows:
            connection.execute(metadata.tables[name].insert(), rows)
        counts[name] = len(rows)
    if connection.dialect.name == "postgresql":
        # Rows came with their ids, which do not move a serial's sequence: move each past the rows loaded.
        for table in metadata.sorted_tables:
            for column in table.primary_key.columns:
                sequence = connection.scalar(
                    text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": f'"{table.name}"', "c": column.name}
                )
                if sequence:
                    connection.execute(
                        text(
                            f'SELECT setval(:s, (SELECT COALESCE(MAX("{column.name}"), 1) FROM "{table.name}"), '
                            f'(SELECT COUNT(*) > 0 FROM "{table.name}"))'
                        ),
                        {"s": sequence},
                    )
    return counts
