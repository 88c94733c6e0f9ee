"""Children in care's clock events, supplied to timescales (filled in below)."""
