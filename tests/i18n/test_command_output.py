"""Management commands speak the project's language (Indonesian) to whoever runs them."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation


@pytest.mark.django_db(transaction=True)
def test_seed_demo_reports_in_indonesian_with_indonesian_numbers():
    out = io.StringIO()
    with translation.override("id"):
        call_command("seed_demo", customers=3, interactions_per_customer=1, stdout=out)
    summary = out.getvalue().splitlines()[0]
    assert summary.startswith("seed_demo: ") and "cabang" in summary and "pelanggan 3 (3 baru)" in summary
    assert "dibuat dalam" in summary


def test_seed_demo_refuses_bad_arguments_in_indonesian():
    with translation.override("id"), pytest.raises(CommandError, match="tidak boleh negatif"):
        call_command("seed_demo", customers=-1)
