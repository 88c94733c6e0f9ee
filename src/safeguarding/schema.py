"""Every table the system has, imported in one place for Alembic and the test suite."""

from safeguarding.casework import models as casework_models
from safeguarding.children_in_care import care_leaver_models as children_in_care_care_leaver_models
from safeguarding.children_in_care import models as children_in_care_models
from safeguarding.children_in_care import permanence_models as children_in_care_permanence_models
from safeguarding.core import audit, audit_checkpoint, local_settings, record_versions, restrictions, users
from safeguarding.core.db import Base
from safeguarding.early_help import models as early_help_models
from safeguarding.early_help import transitions_models as early_help_transitions_models
from safeguarding.exploitation import disruption_models as exploitation_disruption_models
from safeguarding.exploitation import mace_models as exploitation_mace_models
from safeguarding.exploitation import models as exploitation_models
from safeguarding.family_network import models as family_network_models
from safeguarding.front_door import models as front_door_models
from safeguarding.insight import models as insight_models
from safeguarding.people import models as people_models
from safeguarding.people.duplicates import models as people_duplicates_models
from safeguarding.returns import models as returns_models
from safeguarding.timescales import models as timescales_models

metadata = Base.metadata

__all__ = [
    "audit",
    "audit_checkpoint",
    "casework_models",
    "children_in_care_care_leaver_models",
    "children_in_care_models",
    "children_in_care_permanence_models",
    "early_help_models",
    "early_help_transitions_models",
    "exploitation_disruption_models",
    "exploitation_mace_models",
    "exploitation_models",
    "family_network_models",
    "front_door_models",
    "insight_models",
    "local_settings",
    "metadata",
    "people_duplicates_models",
    "people_models",
    "record_versions",
    "restrictions",
    "returns_models",
    "timescales_models",
    "users",
]
