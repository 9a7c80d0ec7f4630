"""Complaints by email: a message from a customer's address becomes one complaint."""

import mailbox
from email.message import EmailMessage
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from complaints.email_intake import complaint_from_email
from complaints.models import Complaint, ComplaintChannel
from crm.models import Interaction
from tests.factories import CustomerFactory

from .factories import PNG

pytestmark = pytest.mark.django_db


def mail(*, sender="Budi <Budi.Santoso@Example.co.id>", subject="Mobil belum dikirim",
         body="Sudah tiga minggu, mobil saya belum juga dikirim.", html=None, files=(), message_id="<m1@example>"):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "keluhan@dealer.test"
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    if html is not None:
        message.set_content(html, subtype="html")
    else:
        message.set_content(body)
    for name, data, maintype, subtype in files:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


@pytest.fixture
def budi(helpdesk, branch_a):
    return CustomerFactory(branch=branch_a, email="budi.santoso@example.co.id", phone="+628131111222")


def test_an_email_from_a_customer_becomes_a_routed_complaint_on_the_timeline(budi):
    raw = mail(files=[("foto.png", PNG, "image", "png"),
                      ("faktur.exe", b"MZ\x90\x00" * 10, "application", "octet-stream"),
                      ("script.jpg", b"<script>alert(1)</script>", "image", "jpeg")])
    result = complaint_from_email(raw=raw)
    complaint = result.complaint
    assert result.status == "created" and complaint.customer == budi
    assert complaint.channel == ComplaintChannel.EMAIL and complaint.department  # routed by the "other" rules
    assert complaint.description.startswith("Mobil belum dikirim\n\nSudah tiga minggu")
    assert [a.original_name for a in complaint.attachments.all()] == ["foto.png"]
    assert len(result.refused) == 2 and "faktur.exe" in complaint.description and "script.jpg" in complaint.description
    entry = Interaction.objects.filter(customer=budi, channel=Interaction.Channel.EMAIL).get()
    assert complaint.code in entry.summary


def test_the_same_email_read_twice_makes_one_complaint(budi):
    first = complaint_from_email(raw=mail())
    again = complaint_from_email(raw=mail())
    assert again.status == "duplicate" and again.complaint.pk == first.complaint.pk
    assert Complaint.objects.count() == 1
    # Without a Message-ID, the message's own bytes identify it.
    complaint_from_email(raw=mail(message_id=None, subject="Lagi"))
    assert complaint_from_email(raw=mail(message_id=None, subject="Lagi")).status == "duplicate"
    assert Complaint.objects.count() == 2


def test_an_email_from_an_unknown_address_makes_no_complaint(budi):
    assert complaint_from_email(raw=mail(sender="someone@else.test")).status == "unknown_sender"
    assert complaint_from_email(raw=mail(sender="", message_id="<m2@x>")).status == "no_sender"
    assert not Complaint.objects.exists()


def test_an_html_only_email_is_read_as_text(budi):
    complaint = complaint_from_email(raw=mail(html="<p>Rem <b>bunyi</b></p><script>x()</script>", subject="")).complaint
    assert "<" not in complaint.description and "Rem bunyi" in complaint.description


def test_the_command_empties_the_maildir_and_keeps_unknown_senders_aside(budi, tmp_path):
    box = mailbox.Maildir(tmp_path / "keluhan")
    box.add(mail())
    box.add(mail(message_id="<m3@x>", subject="Kedua"))
    box.add(mail(sender="stranger@else.test", message_id="<m4@x>"))
    out = StringIO()
    call_command("complaints_read_mail", str(tmp_path / "keluhan"), stdout=out)
    assert "created: 2" in out.getvalue() and "unknown_sender: 1" in out.getvalue()
    assert Complaint.objects.count() == 2 and len(box) == 0
    assert len(box.get_folder("unknown")) == 1
    call_command("complaints_read_mail", str(tmp_path / "keluhan"), stdout=StringIO())  # nothing left: nothing new
    assert Complaint.objects.count() == 2
    with pytest.raises(CommandError):
        call_command("complaints_read_mail", str(tmp_path / "nothing-here"))
