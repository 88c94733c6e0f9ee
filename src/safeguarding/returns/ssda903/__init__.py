"""The SSDA903 return (children looked after): the tables as typed rows, a safe reader of the DfE's CSV tables
and XML form, one function per DfE validation rule, and the validator."""
