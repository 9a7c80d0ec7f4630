"""Check-in details: fuel level, items left in the car, photos (images only, size-limited,
stored outside the web root, served only to staff who may see the booking)."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from service import services
from service.models import Booking, BookingPhoto

from .conftest import MONDAY, at
from .factories import JPEG, PNG

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"


@pytest.fixture(autouse=True)
def files_root(settings, tmp_path):
    settings.SERVICE_FILES_ROOT = tmp_path / "private-service"
    return settings.SERVICE_FILES_ROOT


@pytest.fixture
def booking(vehicle_a, bay_a, oil_change, now, service_a):
    return services.booking_create(customer=vehicle_a.customer, asset=vehicle_a, service_type=oil_change,
                                   starts_at=at(MONDAY, 9), by=service_a, now=now, notify_customer=False)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _upload(client, booking, name, content):
    return client.post(reverse("service:photo_upload", args=[booking.public_id]),
                       {"photo": SimpleUploadedFile(name, content, content_type="image/jpeg")})


def test_check_in_keeps_the_fuel_level_and_the_items_left(booking, service_a):
    client = _client(service_a)
    response = client.post(reverse("service:booking_status", args=[booking.public_id]), {
        "to": "arrived", "odometer_km": "41250", "fuel_level": "2", "items_left": "Payung, kacamata hitam"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.status, booking.fuel_level, booking.items_left) == ("arrived", 2, "Payung, kacamata hitam")
    page = client.get(booking.get_absolute_url()).content.decode()
    assert "Payung, kacamata hitam" in page and "1/4" in page


def test_a_fuel_level_out_of_range_is_refused_and_nothing_changes(booking, service_a):
    response = _client(service_a).post(reverse("service:booking_status", args=[booking.public_id]),
                                       {"to": "arrived", "fuel_level": "12"})
    assert response.status_code == 400
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED and booking.fuel_level is None


@pytest.mark.parametrize("name, content, kind", [("depan.JPG", JPEG, "image/jpeg"), ("lecet.png", PNG, "image/png")])
def test_it_keeps_check_in_photos_outside_the_web_root(booking, service_a, files_root, name, content, kind):
    response = _upload(_client(service_a), booking, name, content)
    assert response["Location"] == booking.get_absolute_url()
    photo = BookingPhoto.objects.get()
    assert (photo.content_type, photo.original_name, photo.size) == (kind, name, len(content))
    stored = Path(photo.file.path)
    assert stored.is_relative_to(files_root) and stored.read_bytes() == content and name not in stored.name
    assert not stored.is_relative_to(Path(django_settings.STATIC_ROOT))
    assert booking.customer.interactions.filter(summary__contains="Check-in photo").exists()


@pytest.mark.parametrize("name, content, message", [
    ("foto.jpg", b"<script>alert(1)</script>", "Only photos (JPEG, PNG) can be attached."),
    ("nota.pdf", PDF, "Only photos (JPEG, PNG) can be attached."),  # a PDF is fine for complaints, not here
    ("foto.pdf", JPEG, "does not match its content"),
])
def test_it_refuses_what_is_not_a_photo_at_the_field(booking, service_a, name, content, message):
    response = _upload(_client(service_a), booking, name, content)
    assert response.status_code == 400
    assert message in " ".join(response.context["photo_form"].errors["photo"])
    assert not BookingPhoto.objects.exists()


def test_it_refuses_a_photo_over_the_size_setting(booking, service_a, settings):
    settings.SERVICE_PHOTO_MAX_BYTES = 1024
    response = _upload(_client(service_a), booking, "besar.jpg", JPEG + b"\x00" * 2000)
    assert response.status_code == 400 and "too big" in response.content.decode()
    assert not BookingPhoto.objects.exists()


def test_a_30_mb_photo_is_refused_with_the_default_limit(booking, service_a):
    upload = SimpleUploadedFile("besar.jpg", JPEG + b"\x00" * (30 * 1024 * 1024), content_type="image/jpeg")
    response = _client(service_a).post(reverse("service:photo_upload", args=[booking.public_id]), {"photo": upload})
    assert response.status_code == 400 and "too big" in response.content.decode()


def test_photos_are_served_only_to_staff_who_may_see_the_booking(booking, service_a, readonly_a, staff_b,
                                                                 head_office_user):
    _upload(_client(service_a), booking, "depan.png", PNG)
    photo = BookingPhoto.objects.get()
    url = photo.get_absolute_url()
    response = _client(readonly_a).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png" and "no-store" in response["Cache-Control"]
    assert _client(head_office_user).get(url).status_code == 200
    assert _client(staff_b).get(url).status_code == 404
    assert Client().get(url)["Location"].startswith(reverse("login"))
    # Another booking's id with this photo's id: not found.
    other = services.booking_create(customer=booking.customer, asset=booking.asset, service_type=booking.service_type,
                                    starts_at=at(MONDAY, 14), by=None, now=at(MONDAY, 7), notify_customer=False)
    assert _client(service_a).get(reverse("service:photo_download", args=[other.public_id, photo.public_id])
                                  ).status_code == 404


def test_uploading_refuses_readers_other_branches_and_gets(booking, readonly_a, staff_b):
    assert _upload(_client(readonly_a), booking, "a.png", PNG).status_code == 403
    assert _upload(_client(staff_b), booking, "a.png", PNG).status_code == 404
    assert _client(readonly_a).get(reverse("service:photo_upload", args=[booking.public_id])).status_code == 405
    assert not BookingPhoto.objects.exists()


# --- thumbnails ---------------------------------------------------------------------------------
def test_a_thumbnail_is_made_once_on_upload_next_to_the_photo(booking, service_a, files_root):
    from io import BytesIO

    from PIL import Image

    from .factories import image_bytes

    big = image_bytes("JPEG", size=(2000, 1500))
    _upload(_client(service_a), booking, "depan.jpg", big)
    photo = BookingPhoto.objects.get()
    stored, small = Path(photo.file.path), Path(photo.thumbnail.path)
    assert small.parent == stored.parent and small.is_relative_to(files_root)
    assert small.name == stored.name.rsplit(".", 1)[0] + ".thumb.jpg"
    with Image.open(small) as image:
        assert image.format == "JPEG" and image.size == (320, 240)
    assert len(small.read_bytes()) < len(big) / 4
    # Served through the same checked view, as a JPEG, never cached by a shared cache.
    response = _client(service_a).get(photo.get_thumbnail_url())
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert body == small.read_bytes() and "no-store" in response["Cache-Control"]
    assert Image.open(BytesIO(body)).size == (320, 240)


def test_the_job_card_shows_thumbnails_that_open_the_full_photo(booking, service_a):
    _upload(_client(service_a), booking, "depan.png", PNG)
    photo = BookingPhoto.objects.get()
    html = _client(service_a).get(booking.get_absolute_url()).content.decode()
    assert f'<a href="{photo.get_absolute_url()}" target="_blank" rel="noopener" class="photo-thumbnail' in html
    assert f'<img src="{photo.get_thumbnail_url()}" alt="depan.png"' in html


def test_thumbnails_are_refused_to_anonymous_and_other_branches(booking, service_a, readonly_a, staff_b):
    _upload(_client(service_a), booking, "depan.png", PNG)
    url = BookingPhoto.objects.get().get_thumbnail_url()
    assert _client(readonly_a).get(url).status_code == 200
    assert _client(staff_b).get(url).status_code == 404
    assert Client().get(url)["Location"].startswith(reverse("login"))
    assert _client(service_a).post(url).status_code == 405


def test_a_photo_from_before_thumbnails_is_served_whole(booking, service_a):
    _upload(_client(service_a), booking, "depan.png", PNG)
    photo = BookingPhoto.objects.get()
    BookingPhoto.objects.filter(pk=photo.pk).update(thumbnail="")
    response = _client(service_a).get(photo.get_thumbnail_url())
    assert response["Content-Type"] == "image/png" and b"".join(response.streaming_content) == PNG


@pytest.mark.parametrize("content", [
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100,  # a JPEG's first bytes, then nothing
    JPEG[: len(JPEG) // 3],  # a photo cut short in the upload
])
@pytest.mark.parametrize("after_a_pdf", [False, True])
def test_a_file_that_only_starts_like_a_photo_is_refused_at_the_field(booking, service_a, content, after_a_pdf,
                                                                     monkeypatch):
    if after_a_pdf:  # WeasyPrint, imported to make a quotation PDF in this process, sets it
        from PIL import ImageFile

        monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    response = _upload(_client(service_a), booking, "depan.jpg", content)
    assert response.status_code == 400
    assert "not a readable photo" in " ".join(response.context["photo_form"].errors["photo"])
    assert not BookingPhoto.objects.exists()
