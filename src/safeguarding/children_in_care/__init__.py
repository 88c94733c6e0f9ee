"""Children in care and care leavers: the council's corporate parenting on the record."""
