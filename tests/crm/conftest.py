"""Fixtures for the customer-record tests."""

import pytest
from django.test import Client


@pytest.fixture
def browser_client(db):
    """A test client that checks CSRF like the real site: a form only posts if the page gave it a token."""
    return Client(enforce_csrf_checks=True)
