"""Fixtures shared with the customer-record and messaging tests."""

from tests.crm.conftest import browser_client  # noqa: F401
from tests.marketing.conftest import _gateway_server, gateway  # noqa: F401
