"""Ofsted Annex A from the live record: the child-level lists inspectors ask for on the first morning.

Lists, columns and value sets are those of Ofsted's ILACS Annex A (``spec``). The system holds lists 1,
3, 4, 5, 6 and 7, children in care (list 8), care leavers (list 9), adoption (list 10) and prospective adopters
(list 11) from the permanence record (``adoption``), the missing and exploitation lists Ofsted also asks for, and the
staff list (caseloads, agency or permanent, supervision dates). It does not hold early help assessments (list 2):
list 2 is written with its columns and no rows, and the "About" sheet says so.

``lists`` reads the rows of each list for a period (one function per list), ``workbook`` writes them as .xlsx and
``export`` is the use-case (the period asked for, the access check and the audit of the export).
"""
