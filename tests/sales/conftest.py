import pytest

from sales.models import Stage


@pytest.fixture(autouse=True)
def stages(db):
    """The pipeline's stages as migration 0002 makes them (a transactional test's flush
    removes them)."""
    import importlib

    roles = importlib.import_module("sales.migrations.0002_roles")
    for name, order, probability, won, lost in roles.STAGES:
        Stage.objects.get_or_create(name=name, defaults={"order": order, "probability": probability,
                                                         "is_won": won, "is_lost": lost})
    return list(Stage.objects.order_by("order", "id"))
