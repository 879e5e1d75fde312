"""The conformance suite: one body per test, run once on every evaluation backend.

``backend`` is parametrized over ``supervisor_rules.policy.BACKENDS`` (as Lark's
tests run one body per parser), so a backend added there is held to every test
here without a line changed. The differential tests compare all backends at once
and do not take the fixture.
"""

from __future__ import annotations

import pytest

from supervisor_rules.policy import BACKENDS


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """The name of one evaluation backend (``Policy.evaluate_with``)."""
    return request.param
