"""The engines that compare a file's records: the embedded one (DuckDB, in this process) and the distributed one
(Apache Spark, local mode here, a cluster where one machine is not enough). Both run the same SQL, built from the
model: the blocked pairs (a UNION of equi-joins), each comparison's level as a CASE, the match weight, and the rules
that hold a pair back (twins, different identifiers). They return levels; the weights and words are put to them in
Python, by the same code as ``explain``.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from safeguarding.people.linkage.model import Model
from safeguarding.people.linkage.records import COLUMNS, SQL_TYPES, Prepared

ENGINES = ("embedded", "spark")
# Weights are summed in Python again, exactly as ``explain`` does; the SQL filter keeps a hair below the threshold so
# that a rounding difference between engines never loses a pair.
_SLACK = 1e-6

Levels = tuple[int | None, ...]


class EngineUnavailable(RuntimeError):
    """The engine asked for is not installed here (the message says how to install it)."""


def level_column(index: int) -> str:
    return f"level_{index}"


def pairs_sql(model: Model, min_weight: float, table: str = "records") -> str:
    """The whole comparison as one SQL statement over ``table`` (the prepared columns). Each blocking rule is a join
    that leaves out the pairs an earlier rule found (so no pair is compared twice and nothing needs de-duplicating),
    compares its pairs and keeps those at or above the weight: the engine streams, holding little at once.

    Built from the model's column names and numbers only: no value from a file ever enters the text."""
    names = tuple(level_column(i) for i in range(len(model.comparisons)))
    levels = ", ".join(f"{c.sql()} AS {level_column(i)}" for i, c in enumerate(model.comparisons))
    held_back = model.held_back_sql()
    blocks = []
    for n, rule in enumerate(model.blocking):
        earlier = "".join(f" AND NOT COALESCE({before.sql()}, FALSE)" for before in model.blocking[:n])
        blocks.append(
            f"SELECT l.rid AS l_rid, r.rid AS r_rid, {levels}, COALESCE({held_back}, FALSE) AS held_back "  # noqa: S608
            f"FROM {table} l JOIN {table} r ON {rule.sql()} AND l.rid < r.rid{earlier}"
        )
    union = "\nUNION ALL\n".join(blocks)
    statement = f"""
WITH compared AS (
{union}
)
SELECT l_rid, r_rid, {", ".join(names)} FROM compared
WHERE NOT held_back AND {model.weight_sql(names)} >= {min_weight - _SLACK!r}
"""  # noqa: S608
    return statement


def _write_prepared(prepared: Sequence[Prepared], folder: Path) -> Path:
    path = folder / "prepared.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for p in prepared:
            writer.writerow(["" if value is None else value for value in (getattr(p, c) for c in COLUMNS)])
    return path


def _levels(row: Sequence[Any]) -> Levels:
    return tuple(None if value is None or value < 0 else int(value) for value in row)


def compare_embedded(
    prepared: Sequence[Prepared], model: Model, min_weight: float
) -> Iterator[tuple[int, int, Levels]]:
    import duckdb

    with tempfile.TemporaryDirectory(prefix="linkage-") as folder:
        path = _write_prepared(prepared, Path(folder))
        # Two threads (the machine's cores), and rows in any order: the pairs are sorted afterwards anyway.
        connection = duckdb.connect(
            ":memory:",
            config={
                "temp_directory": folder,
                "memory_limit": "2GB",
                "threads": 2,
                "preserve_insertion_order": False,
            },
        )
        try:
            types = ", ".join(f"'{name}': '{kind}'" for name, kind in SQL_TYPES.items())
            # Prepared values never hold an empty string (a missing value is NULL), so '' reads back as NULL.
            connection.execute(
                f"CREATE TABLE records AS SELECT * FROM read_csv(?, header = true, columns = {{{types}}}, "  # noqa: S608
                "nullstr = '', quote = '\"', escape = '\"')",
                [str(path)],
            )
            result = connection.execute(pairs_sql(model, min_weight))
            while batch := result.fetchmany(50_000):
                for row in batch:
                    yield row[0], row[1], _levels(row[2:])
        finally:
            connection.close()


def compare_spark(prepared: Sequence[Prepared], model: Model, min_weight: float) -> Iterator[tuple[int, int, Levels]]:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineUnavailable(
            "The spark engine needs PySpark: install the package with its spark extra "
            "(pip install 'safeguarding[spark]') and Java 17"
        ) from None

    with tempfile.TemporaryDirectory(prefix="linkage-spark-") as folder:
        path = _write_prepared(prepared, Path(folder))
        spark = (
            SparkSession.builder.master("local[2]")
            .appName("safeguarding-linkage")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.local.dir", folder)
            .getOrCreate()
        )
        try:
            schema = ", ".join(f"{name} {SQL_TYPES[name].replace('VARCHAR', 'STRING')}" for name in COLUMNS)
            frame = spark.read.csv(str(path), header=True, schema=schema, nullValue="", quote='"', escape='"')
            frame.createOrReplaceTempView("records")
            rows = spark.sql(pairs_sql(model, min_weight)).collect()
        finally:
            spark.stop()
        for row in rows:
            values = tuple(row)
            yield values[0], values[1], _levels(values[2:])


def compare(
    prepared: Sequence[Prepared], model: Model, min_weight: float, engine: str = "embedded"
) -> Iterator[tuple[int, int, Levels]]:
    """The pairs of records at or above ``min_weight`` that no rule holds back, as (rid, rid, levels) with the
    smaller rid first."""
    if engine == "embedded":
        return compare_embedded(prepared, model, min_weight)
    if engine == "spark":
        return compare_spark(prepared, model, min_weight)
    raise ValueError(f"engine must be one of {', '.join(ENGINES)}")
