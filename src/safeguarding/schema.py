"""Every table the system has, imported in one place for Alembic and the test suite."""

from safeguarding.casework import models as casework_models
from safeguarding.core import access, audit, audit_checkpoint, local_settings, users
from safeguarding.core.db import Base
from safeguarding.exploitation import models as exploitation_models
from safeguarding.exploitation import response_models as exploitation_response_models
from safeguarding.front_door import models as front_door_models
from safeguarding.insight import models as insight_models
from safeguarding.people import models as people_models
from safeguarding.returns import models as returns_models
from safeguarding.timescales import models as timescales_models

metadata = Base.metadata

__all__ = ["access", "audit", "audit_checkpoint", "casework_models", "exploitation_models",
           "exploitation_response_models", "front_door_models", "insight_models", "local_settings", "metadata",
           "people_models", "returns_models", "timescales_models", "users"]
