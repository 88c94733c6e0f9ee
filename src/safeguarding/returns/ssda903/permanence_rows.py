"""The SSDA903 adoption and permanence tables from the live record: AD1, PlacedAdoption and PrevPerm.

Called by ``export.build_return`` for each chunk of children, after their other rows. Sources: the DfE's SSDA903
guidance (``../shared/domain/ssda903.md`` 2, 3.14-3.16) and the validation rules they must pass:

- **PlacedAdoption**: every decision that the child should be placed for adoption of a period of care in the year,
  made by 31 March and not ended before 1 April (rules 117, 118): ``DATE_PLACED``, and ``DATE_PLACED_CEASED`` with
  its reason where the decision ended by 31 March (rule 119).
- **AD1**: a child adopted in the year (the period ended E11 or E12): the decision in force, the match and the
  adopters (rules 601, 523: ``DATE_INT`` is the latest ``DATE_PLACED``).
- **PrevPerm**: for a child who started to be looked after in the year, the previous permanence recorded for that
  period; where none is recorded the export's P4 ("not known", rule 630) stays.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguarding.children_in_care import permanence
from safeguarding.children_in_care.models import CarePeriod
from safeguarding.children_in_care.permanence_models import AdoptionDecision, PreviousPermanence
from safeguarding.people.models import Person
from safeguarding.returns.ssda903.tables import Ad1Row, CollectionYear, PlacedAdoptionRow, PrevPermRow, Return

FOSTER_CARE = {True: "1", False: "0"}  # SSDA903 FOSTER_CARE: adopted by their foster carers


def _within(day: date | None, year: CollectionYear) -> date | None:
    return day if day is not None and day <= year.end else None


def add_permanence_rows(session: Session, out: Return, children: Mapping[str, Person], year: CollectionYear) -> None:
    """Add the AD1, PlacedAdoption and PrevPerm rows of these children (CHILD id: person) already in ``out``."""
    ids = {person.id: child for child, person in children.items() if child in out.children}
    if not ids:
        return
    periods: dict[int, tuple[int, date, date | None, str | None]] = {}  # period: person, start, end, REC
    for pid, person_id, started, ended, reason in session.execute(
        select(
            CarePeriod.id, CarePeriod.person_id, CarePeriod.started_on, CarePeriod.ended_on, CarePeriod.reason_ended
        ).where(CarePeriod.person_id.in_(ids), CarePeriod.started_on <= year.end)
    ):
        if ended is None or ended >= year.start:
            periods[pid] = (person_id, started, ended, reason)
    decisions: dict[int, list[AdoptionDecision]] = defaultdict(list)
    for d in session.scalars(
        select(AdoptionDecision)
        .where(AdoptionDecision.period_id.in_(periods))
        .order_by(AdoptionDecision.decided_on, AdoptionDecision.id)
    ):
        decisions[d.period_id].append(d)
    previous = {
        p.period_id: p
        for p in session.scalars(select(PreviousPermanence).where(PreviousPermanence.period_id.in_(periods)))
    }
    for period_id, (person_id, started, ended, reason) in sorted(periods.items(), key=lambda p: p[1][1]):
        child = ids[person_id]
        record = out.children[child]
        dob = children[child].date_of_birth
        in_year = [d for d in decisions[period_id] if d.decided_on <= year.end]
        for d in in_year:
            ceased = _within(d.ceased_on, year)
            if d.ceased_on is not None and d.ceased_on < year.start:
                continue  # ended before the year: last year's return said so (rule 118)
            record.placed.append(
                PlacedAdoptionRow(
                    child=child,
                    dob=dob,
                    date_placed=d.decided_on,
                    date_placed_ceased=ceased,
                    reason_placed_ceased=d.reason_ceased if ceased else None,
                )
            )
        adopted = ended is not None and year.start <= ended <= year.end and reason in permanence.ADOPTED
        if adopted and in_year:
            d = in_year[-1]
            record.ad1.append(
                Ad1Row(
                    child=child,
                    dob=dob,
                    date_int=d.decided_on,
                    date_match=d.matched_on,
                    foster_care=None if d.foster_carers_adopting is None else FOSTER_CARE[d.foster_carers_adopting],
                    nb_adoptr=str(d.adopters_number) if d.adopters_number else None,
                    sex_adoptr=d.adopters_sex,
                    ls_adoptr=d.adopters_legal_status,
                )
            )
        p = previous.get(period_id)
        if p is not None and year.start <= started <= year.end:
            record.prev_perm[:] = [
                PrevPermRow(child=child, dob=dob, prev_perm=p.option, la_perm=p.la_code, date_perm=p.order_on)
            ]
        record.sort()
