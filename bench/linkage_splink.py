"""Splink, the reference tool, on a records file: run by ``bench/linkage.py`` in an environment with the bench extra
(``pip install -e '.[bench]'``), so that its dependencies never enter the service's.

Configured as Splink's documentation recommends for deduplicating people: DuckDB, blocking rules on pairs of
columns, comparisons from its comparison library (NameComparison for names, DateOfBirthComparison, PostcodeComparison,
exact NHS number and sex, term frequencies on names), the prior from deterministic rules, u by random sampling, m by EM
on two blocking rules, then predict and cluster at the same threshold as ours.

    python bench/linkage_splink.py RECORDS.csv CLUSTERS.csv [--threshold 0.95]
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("records", type=Path)
    parser.add_argument("clusters", type=Path)
    parser.add_argument("--threshold", type=float, default=0.95)
    args = parser.parse_args()

    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    connection = duckdb.connect()
    # The cleaning Splink's tutorials do: lower case, blanks as nulls.
    connection.execute(
        """
        CREATE TABLE people AS
        SELECT record_id,
               NULLIF(lower(trim(first_name)), '') AS first_name,
               NULLIF(lower(trim(surname)), '') AS surname,
               NULLIF(dob, '') AS dob,
               NULLIF(sex, '') AS sex,
               NULLIF(upper(trim(postcode)), '') AS postcode,
               NULLIF(nhs_number, '') AS nhs_number
        FROM read_csv(?, header = true, all_varchar = true)
        """,
        [str(args.records)],
    )
    db_api = DuckDBAPI(connection=connection)
    people = db_api.register("people")
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "surname"),
            block_on("surname", "dob"),
            block_on("first_name", "dob"),
            block_on("postcode", "first_name"),
            block_on("nhs_number"),
        ],
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.PostcodeComparison("postcode"),
            cl.ExactMatch("nhs_number"),
            cl.ExactMatch("sex"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(people, settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob"), block_on("nhs_number")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "surname"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=args.threshold
    )
    query = f"SELECT record_id, cluster_id FROM {clusters.physical_name}"
    connection.execute(f"COPY ({query}) TO '{args.clusters}' (HEADER, DELIMITER ',')")


if __name__ == "__main__":
    main()
