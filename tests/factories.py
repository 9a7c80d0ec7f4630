"""factory_boy factories. Customers and staff are made through the real services."""

import factory

from accounts.models import Branch, Department
from accounts.services import staff_create
from crm import services
from crm.models import Asset, Tag

PASSWORD = "test-pass-2026!"


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"b{n}")
    name = factory.Sequence(lambda n: f"Cabang {n}")
    city = "Bandung"
    time_zone = Branch.TimeZone.WIB


class UserFactory(factory.Factory):
    """Staff through accounts.services.staff_create, so role groups are assigned as in production."""

    class Meta:
        model = dict

    email = factory.Sequence(lambda n: f"staff{n}@relasi.test")
    first_name = factory.Faker("first_name")
    branch = factory.SubFactory(BranchFactory)
    department = Department.SALES
    # Relasi speaks Indonesian unless a staff member picks English. Tests read English pages
    # (their assertions are in the source language); tests of the Indonesian UI say language="id".
    language = "en"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        password = kwargs.pop("password", PASSWORD)
        return staff_create(password=password, **kwargs)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag{n}")


class CustomerFactory(factory.Factory):
    class Meta:
        model = dict

    name = factory.Sequence(lambda n: f"Pelanggan {n}")
    phone = factory.Sequence(lambda n: f"+62812{n:08d}")
    email = factory.Sequence(lambda n: f"pelanggan{n}@contoh.id")
    city = "Bandung"
    branch = factory.SubFactory(BranchFactory)
    by = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.customer_create(**kwargs)


class AssetFactory(factory.Factory):
    class Meta:
        model = dict

    make = "Toyota"
    model = "Avanza"
    year = 2022
    plate_number = factory.Sequence(lambda n: f"D {1000 + n} ABC")
    customer = factory.SubFactory(CustomerFactory)
    by = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.asset_create(**kwargs)


class SegmentFactory(factory.django.DjangoModelFactory):
    """A criteria segment of a branch (issue 12); by default everyone of the branch consenting to SMS."""

    class Meta:
        model = "marketing.Segment"

    name = factory.Sequence(lambda n: f"Segmen {n}")
    branch = factory.SubFactory(BranchFactory)
    definition = factory.LazyFunction(lambda: {"groups": [[{"key": "consent", "value": "sms"}]]})


class CampaignFactory(factory.django.DjangoModelFactory):
    """A draft SMS campaign to a segment of its branch."""

    class Meta:
        model = "marketing.Campaign"

    name = factory.Sequence(lambda n: f"Kampanye {n}")
    branch = factory.SubFactory(BranchFactory)
    segment = factory.LazyAttribute(lambda o: SegmentFactory(branch=o.branch))
    body = "Halo {{ first_name }}, promo servis di {{ branch_name }}."


__all__ = ["Asset"]
