"""Attachments: content-checked, size-limited, stored outside the web root, served only to
staff who may see the complaint."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from complaints.models import Category, ComplaintAttachment

from .factories import PNG, ComplaintFactory

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


@pytest.fixture(autouse=True)
def files_root(settings, tmp_path):
    settings.COMPLAINT_FILES_ROOT = tmp_path / "private"
    return settings.COMPLAINT_FILES_ROOT


@pytest.fixture
def complaint(helpdesk, customer_a):
    return ComplaintFactory(customer=customer_a, category=Category.PRODUCTION_DEFECT)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _upload(client, complaint, name, content, content_type="application/octet-stream"):
    return client.post(reverse("complaints:attachment_upload", args=[complaint.public_id]),
                       {"file": SimpleUploadedFile(name, content, content_type=content_type)})


@pytest.mark.parametrize("name, content, kind", [("foto.JPG", JPEG, "image/jpeg"), ("foto.png", PNG, "image/png"),
                                                 ("nota.pdf", PDF, "application/pdf")])
def test_it_keeps_photos_and_pdfs_outside_the_web_root(complaint, readonly_a, files_root, name, content, kind):
    response = _upload(_client(readonly_a), complaint, name, content)
    assert response["Location"] == complaint.get_absolute_url()
    attachment = ComplaintAttachment.objects.get()
    assert (attachment.content_type, attachment.original_name, attachment.size) == (kind, name, len(content))
    stored = Path(attachment.file.path)
    assert stored.is_relative_to(files_root) and stored.read_bytes() == content
    assert name not in stored.name  # stored under a random name
    assert not stored.is_relative_to(Path(django_settings.STATIC_ROOT))


def test_it_refuses_a_script_disguised_as_a_jpeg(complaint, readonly_a):
    response = _upload(_client(readonly_a), complaint, "foto.jpg", b"<script>alert(1)</script>", "image/jpeg")
    assert response.status_code == 400 and "Only photos (JPEG, PNG) and PDF documents" in response.content.decode()
    assert not ComplaintAttachment.objects.exists()


def test_it_refuses_a_name_that_does_not_match_the_content(complaint, readonly_a):
    response = _upload(_client(readonly_a), complaint, "foto.pdf", JPEG)
    assert response.status_code == 400 and "does not match its content" in response.content.decode()


def test_it_refuses_a_40_mb_pdf(complaint, readonly_a, settings):
    big = PDF + b"0" * (40 * 1024 * 1024)
    response = _upload(_client(readonly_a), complaint, "besar.pdf", big)
    assert response.status_code == 400 and "too big" in response.content.decode()
    assert not ComplaintAttachment.objects.exists()


def test_it_serves_the_file_only_to_staff_who_may_see_the_complaint(complaint, readonly_a, staff_b,
                                                                   head_office_user, client):
    _upload(_client(readonly_a), complaint, "nota.pdf", PDF)
    attachment = ComplaintAttachment.objects.get()
    url = reverse("complaints:attachment_download", args=[complaint.public_id, attachment.public_id])
    response = _client(readonly_a).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf" and "attachment" in response["Content-Disposition"]
    assert _client(head_office_user).get(url).status_code == 200
    assert _client(staff_b).get(url).status_code == 404
    assert client.get(url).status_code == 302  # anonymous: to the login page
    # Another complaint's id with this file's id: not found either.
    other = ComplaintFactory(customer=complaint.customer)
    wrong = reverse("complaints:attachment_download", args=[other.public_id, attachment.public_id])
    assert _client(readonly_a).get(wrong).status_code == 404


def test_a_read_only_role_cannot_attach(complaint, marketing_a):
    assert _upload(_client(marketing_a), complaint, "foto.png", PNG).status_code == 403
    assert _client(marketing_a).get(reverse("complaints:attachment_upload",
                                            args=[complaint.public_id])).status_code == 405
