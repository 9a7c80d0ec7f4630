"""Workshop rows for tests that need one of a branch (the URL walk in tests/accounts/)."""

import datetime as dt

import factory
from django.utils import timezone

from crm.public import public_code_new
from service.models import Bay, BayKind, Booking, ServiceType, Technician
from tests.factories import AssetFactory, BranchFactory, CustomerFactory


class BayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bay

    branch = factory.SubFactory(BranchFactory)
    name = factory.Sequence(lambda n: f"Stall {n}")
    kind = BayKind.QUICK


def _service_type():
    return ServiceType.objects.get_or_create(name="Ganti oli", defaults={
        "duration_minutes": 60, "bay_kind": BayKind.QUICK, "interval_months": 6})[0]


class BookingFactory(factory.Factory):
    """A booked visit tomorrow, written directly (its own bay, so it never collides; the
    booking rules are tested through service.services)."""

    class Meta:
        model = dict

    branch = factory.SubFactory(BranchFactory)

    @classmethod
    def _create(cls, model_class, *, branch, **kwargs):
        customer = CustomerFactory(branch=branch, phone="+6281200000001")
        asset = AssetFactory(customer=customer)
        starts_at = (timezone.now() + dt.timedelta(days=1)).replace(microsecond=0)
        return Booking.objects.create(
            code=public_code_new(), branch=branch, customer=customer, asset=asset, plate_number=asset.plate_number,
            plate_key=asset.plate_number.replace(" ", ""), service_type=_service_type(),
            bay=BayFactory(branch=branch), starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=1), **kwargs)


class TechnicianFactory(factory.django.DjangoModelFactory):
    """A mechanic who works every weekday and Saturday on quick and general bays."""

    class Meta:
        model = Technician

    branch = factory.SubFactory(BranchFactory)
    name = factory.Sequence(lambda n: f"Mekanik {n}")
    bay_kinds = factory.LazyFunction(lambda: [BayKind.QUICK, BayKind.GENERAL])
    service_kinds = factory.LazyFunction(lambda: [ServiceType.Kind.PERIODIC, ServiceType.Kind.REPAIR])
    working_days = factory.LazyFunction(lambda: [0, 1, 2, 3, 4, 5])


def image_bytes(kind: str = "PNG", size=(640, 480), color=(200, 40, 40)) -> bytes:
    """A real image (Pillow reads it, and makes its thumbnail)."""
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", size, color).save(out, kind)
    return out.getvalue()


PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")


class BookingPhotoFactory(factory.Factory):
    """A check-in photo through the real service (a tiny PNG, stored in SERVICE_FILES_ROOT)."""

    class Meta:
        model = dict

    booking = factory.SubFactory(BookingFactory)
    by = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from service.services import booking_photo_add

        return booking_photo_add(upload=SimpleUploadedFile("lecet.png", PNG, content_type="image/png"), **kwargs)
