from __future__ import annotations

from datetime import date

from safeguarding.people import service


def test_exact_matches_and_candidates(database, people):
    john = people.add("John", "Smith", nhs_number="943 476 5919", postcode="sw1a1aa")
    with database.transaction() as s:
        assert [p.id for p in service.exact_matches(s, nhs_number="9434765919")] == [john.id]
        assert [p.id for p in service.exact_matches(s, first_name="JOHN", last_name="smith",
                                                    date_of_birth=date(2015, 3, 14))] == [john.id]
        found = service.find_candidates(s, first_name="Jon", last_name="Smyth", date_of_birth=None,
                                        nhs_number=None, postcode=None)
        assert [c.person_id for c in found] == [john.id]
        assert "name sounds like" in found[0].reasons
