import uuid

from django.db import models

from accounts.access import BranchScopedQuerySet


class WidgetQuerySet(BranchScopedQuerySet):
    branch_paths = ("branch", "escalated_to")


class Widget(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=40, default="widget")
    branch = models.ForeignKey("accounts.Branch", on_delete=models.PROTECT, related_name="+")
    escalated_to = models.ForeignKey("accounts.Branch", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")

    objects = WidgetQuerySet.as_manager()
