"""The CIN census: a neutral in-memory child (``census``), the DfE rules (``rules``), the streaming XML reader
(``reader``), the validator over either source (``validator``), the export from the live record (``export``) and the
XML writer (``writer``). Reference: the DfE's CIN census specification and validation rules for the year."""
