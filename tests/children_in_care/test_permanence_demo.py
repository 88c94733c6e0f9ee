"""The demo council's adoptions in its SSDA903 return: a child adopted in the collection year after a whole journey
(decision, placement order, match, placement for adoption, order), written to AD1 and PlacedAdoption, with no
finding of any rule on their rows."""

from __future__ import annotations

from safeguarding.core.db import Database
from safeguarding.returns.ssda903.export import build_return
from safeguarding.returns.ssda903.tables import CollectionYear
from safeguarding.returns.ssda903.validator import validate
from tests.demo.conftest import REFERENCE, SEED, holds_council, load

YEAR = CollectionYear(2026)  # the demo council's reference moment is in March 2026


def test_the_demo_council_has_a_child_adopted_in_the_year_and_its_rows_validate(migrated_database: Database) -> None:
    if not holds_council(migrated_database, SEED, REFERENCE):
        load(migrated_database)
    with migrated_database.transaction() as s:
        built = build_return(s, YEAR)
    adopted = {child: record for child, record in built.children.items() if record.ad1}
    # At least one whole journey: more than a year from coming into care to the adoption order.
    assert any(
        (r.episodes[-1].dec - r.episodes[0].decom).days > 365
        for r in adopted.values()
        if r.episodes[-1].dec and r.episodes[0].decom
    )
    for child, record in adopted.items():
        (row,) = record.ad1
        assert row.date_int and row.date_match and row.date_int <= row.date_match
        assert row.nb_adoptr in ("1", "2") and row.sex_adoptr and row.ls_adoptr and row.foster_care in ("0", "1")
        left = record.episodes[-1]
        assert left.rec in ("E11", "E12") and left.dec is not None and YEAR.start <= left.dec <= YEAR.end
        placed = next(e for e in record.episodes if e.place in ("A3", "A4", "A5", "A6"))
        assert placed.decom is not None and row.date_match <= placed.decom <= left.dec
        assert [p.date_placed for p in record.placed][-1] == row.date_int
        findings = [f for f in validate(built, YEAR).findings if f.child == child]
        assert findings == [], findings
