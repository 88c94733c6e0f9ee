"""The leaders' insight: indicators beside the national figures (``indicators``, ``national_figures``), the
workforce (contracts, vacancies and the DfE measures: ``workforce``) and the improvement plan after an inspection
(``improvement``), with their tables (``models``), pages (``routes``), the reporting period they share with Annex A
(``period``) and the demo council's stage (``demo``). The pages keep their addresses under /returns/.

Statutory returns (the CIN census, Ofsted's Annex A) are ``safeguarding.returns``, which reads the workforce
contracts for Annex A's staff list: returns depends on insight, never the other way."""
