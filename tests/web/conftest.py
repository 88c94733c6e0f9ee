from __future__ import annotations

import pyotp
import pytest

from safeguarding.core.users import Role, User
from tests.support import Factory


@pytest.fixture()
def admin(factory: Factory) -> User:
    return factory.user(Role.ADMINISTRATOR, totp_secret=pyotp.random_base32())
