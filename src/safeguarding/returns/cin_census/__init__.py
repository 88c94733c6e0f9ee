"""The CIN census: a neutral in-memory child (``census``), the DfE rules (``rules``), the streaming XML reader
(``reader``), the validator over either source (``validator``), the export from the live record (``export``), the
XML writer (``writer``) and the use-cases that check access and audit (``service``: the live record checked, the
analysts' findings, the export). Reference: the DfE's CIN census specification
and validation rules for the year."""
