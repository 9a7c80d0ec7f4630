"""ComplaintFactory: complaints taken through the real service (routed, on the timeline)."""

import factory

from complaints import services
from complaints.models import Category, ComplaintChannel, Priority
from tests.factories import CustomerFactory


class ComplaintFactory(factory.Factory):
    class Meta:
        model = dict

    customer = factory.SubFactory(CustomerFactory)
    channel = ComplaintChannel.PHONE
    category = Category.ORDER_STATUS
    priority = Priority.NORMAL
    description = factory.Sequence(lambda n: f"Pesanan {n} belum ada kabar sama sekali.")
    by = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # ``branch=``: a complaint of that branch (the URL walk makes one so): its customer's.
        branch = kwargs.pop("branch", None)
        if branch is not None and kwargs["customer"].branch_id != branch.pk:
            kwargs["customer"] = CustomerFactory(branch=branch)
        return services.complaint_create(**kwargs)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class ComplaintAttachmentFactory(factory.Factory):
    """An attachment through the real service (a tiny PNG)."""

    class Meta:
        model = dict

    complaint = factory.SubFactory(ComplaintFactory)
    by = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("foto.png", PNG, content_type="image/png")
        return services.complaint_attachment_add(upload=upload, **kwargs)
