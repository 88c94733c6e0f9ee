"""Early help and Family Help: an episode of support for a family before, beside or after children's social care.

The episode, the family's consent (to the assessment and to sharing with each agency), the early help assessment,
the family plan with its needs and their outcomes, the team around the family and its meetings and reviews, the lead
practitioner and their history, and closure (``models``); the local timescales (``rules``); the work (``service``);
the pages (``routes``). Sources: ../shared/domain/early-help.md (kept outside the repository) and the public texts
each rule names.
"""

from safeguarding.early_help import timescale_events as _timescale_events  # noqa: F401  (registers the clocks)
