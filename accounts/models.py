"""Staff accounts: users log in by email and belong to one branch and one department."""

import uuid

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.functions import RandomUUID
from django.core import checks
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import sync

from .access import BranchScopedQuerySet
from .timestamps import TimeStampedQuerySet


class TimeStampedModel(models.Model):
    """Every model that will travel in branch sync carries these.

    ``updated_at`` moves on every write: ``save()`` (``update_fields`` too), and through
    ``TimeStampedQuerySet`` (accounts.timestamps) ``update()``, ``bulk_update()``, upserts
    and the SET_NULL of a deleted referenced row. A subclass that declares its own manager
    builds it on ``TimeStampedQuerySet`` or ``BranchScopedQuerySet`` (which is one): the
    system check below fails it otherwise.
    """

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TimeStampedQuerySet.as_manager()

    class Meta:
        abstract = True
        # Django's own writes (related managers, the delete collector's SET_NULL) go through
        # the base manager; a subclass inherits the name, so they use its own ``objects``.
        base_manager_name = "objects"

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields and "updated_at" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "updated_at"]
        super().save(*args, **kwargs)

    save.alters_data = True


@checks.register(checks.Tags.models)
def check_timestamped_managers(app_configs=None, **kwargs):
    """A TimeStampedModel whose default or base manager does not stamp ``updated_at`` on
    ``update()`` (a custom manager built on a plain QuerySet) is an error."""
    errors = []
    for model in apps.get_models():
        if issubclass(model, TimeStampedModel) and (app_configs is None or model._meta.app_config in app_configs):
            errors += timestamped_manager_errors(model)
    return errors


def timestamped_manager_errors(model) -> list[checks.Error]:
    errors = []
    for kind, manager in (("default", model._default_manager), ("base", model._base_manager)):
        if not issubclass(manager._queryset_class, TimeStampedQuerySet):
            errors.append(checks.Error(
                f"The {kind} manager of {model._meta.label} is built on {manager._queryset_class.__name__}, "
                "which does not move updated_at on update().",
                hint="Build it on accounts.timestamps.TimeStampedQuerySet or accounts.access.BranchScopedQuerySet.",
                obj=model, id="accounts.E101",
            ))
    return errors


class BranchQuerySet(BranchScopedQuerySet):
    """Branches as a user may see them: a branch is its own branch (head office sees all)."""

    branch_paths = ("id",)


@sync.register(owner=sync.HQ)  # reference data every branch instance receives (issue 16)
class Branch(TimeStampedModel):
    class TimeZone(models.TextChoices):
        WIB = "Asia/Jakarta", _("WIB (Asia/Jakarta, UTC+7)")
        WITA = "Asia/Makassar", _("WITA (Asia/Makassar, UTC+8)")
        WIT = "Asia/Jayapura", _("WIT (Asia/Jayapura, UTC+9)")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=120)
    city = models.CharField(_("city"), max_length=80)
    address = models.TextField(_("address"), blank=True)
    time_zone = models.CharField(_("time zone"), max_length=32, choices=TimeZone.choices, default=TimeZone.WIB)
    is_head_office = models.BooleanField(_("head office"), default=False)

    objects = BranchQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("branch")
        verbose_name_plural = _("branches")

    def __str__(self):
        return self.name


class Department(models.TextChoices):
    SALES = "sales", _("Sales")
    MARKETING = "marketing", _("Marketing")
    SERVICE = "service", _("Service")
    QUALITY_CONTROL = "qc", _("Quality Control")
    SHIPMENT = "shipment", _("Shipment")
    BRANCH_MANAGEMENT = "branch_mgmt", _("Branch Management")
    HEAD_OFFICE = "head_office", _("Head Office")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_queryset(self):
        # request.user is loaded through this manager: joining the branch here saves a
        # query on every page that checks branch scoping.
        return super().get_queryset().select_related("branch")

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("The email must be set")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("department", Department.HEAD_OFFICE)
        return self._create_user(email, password, **extra)


@sync.register(owner=sync.HQ, local=("last_login",))  # staff, with roles and password hash
class User(AbstractUser):
    """A staff member. ``is_staff`` keeps its Django meaning: may use the admin (back office)."""

    username = None
    # The key head office and the branch instances share (issue 16): staff are reference data.
    public_id = models.UUIDField(default=uuid.uuid4, db_default=RandomUUID(), unique=True, editable=False)
    email = models.EmailField(_("email address"), unique=True)
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    department = models.CharField(_("department"), max_length=16, choices=Department.choices, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # The staff UI's language (issue 9): Indonesian unless the staff member picks English.
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="id", db_default="id"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]
        constraints = [
            # One mailbox, one account, whatever the case it was typed in.
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self):
        return self.get_full_name() or self.email

    def clean(self):
        super().clean()
        # Login lower-cases what is typed; store the same, so one mailbox is one account.
        self.email = self.email.strip().lower()

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def sees_all_branches(self) -> bool:
        """Head-office staff and superusers see every branch; everyone else only their own."""
        if self.is_superuser:
            return True
        return self.branch_id is not None and self.branch.is_head_office


class NotificationQuerySet(BranchScopedQuerySet):
    """A notification is its recipient's alone: narrower than branch scoping. It reaches a
    branch through its recipient (so the branch-scoping checks know the model), but neither
    the recipient's branch mates nor head office see it."""

    branch_paths = ("recipient__branch",)

    def visible_to(self, user):
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(recipient=user)


class Notification(models.Model):
    """Something a member of staff should know about (a customer assigned to them, an
    activity due...), sent by any app through ``accounts.services.notification_send``.

    The target's address and a short text are copied in when it is sent, so the list and
    the bell never load the targets (of many kinds, some perhaps deleted since).
    """

    class EmailStatus(models.TextChoices):
        NONE = "", _("not wanted")
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(
        User, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    # A kind declared in accounts.notifications (e.g. "customer_assigned").
    verb = models.CharField(_("kind"), max_length=64)
    actor = models.ForeignKey(
        User, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    target_url = models.CharField(_("link"), max_length=300, blank=True)
    text = models.CharField(_("text"), max_length=200)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # The email copy, for a recipient who asked for one (accounts.tasks.notification_email_task).
    email_status = models.CharField(
        _("email copy"), max_length=8, choices=EmailStatus.choices, default=EmailStatus.NONE, blank=True
    )
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The list page: mine, newest first, paged.
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_recipient_idx"),
            # The bell and the home page: my unread, newest first (and their count). Small:
            # only unread rows are in it.
            models.Index(fields=["recipient", "-created_at"], condition=models.Q(read_at__isnull=True),
                         name="notification_unread_idx"),
            # Pruning by age (accounts.services.notifications_prune).
            models.Index(fields=["created_at"], name="notification_created_idx"),
            # Email copies not yet ended (accounts.services.notification_emails_sweep): few rows.
            models.Index(fields=["created_at"], name="notification_email_open_idx",
                         condition=models.Q(email_status__in=["queued", "sending"])),
        ]

    def __str__(self):
        return f"{self.kind_label}: {self.text}"

    def get_absolute_url(self):
        # A notification lives in its recipient's list; what it is about is ``target_url``.
        return reverse("notifications:list")

    @property
    def kind_label(self) -> str:
        from .notifications import notification_kind_label

        return notification_kind_label(self.verb)

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class NotificationPreference(models.Model):
    """One member of staff's choice for one kind of notification: also send an email copy.

    Its own small table rather than a field on User: a kind an app declares later needs no
    migration, and "no row" simply means the default (no email). One query at send time
    reads the choices of every recipient.
    """

    user = models.ForeignKey(
        User, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("kind"), max_length=64)
    email = models.BooleanField(_("also send me an email"), default=False)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_unique"),
        ]

    def __str__(self):
        return f"{self.user}: {self.kind}"


# The idle-session clock starts at every login (accounts.middleware.IdleSessionMiddleware).
def _connect_login_receiver():
    from django.contrib.auth.signals import user_logged_in

    from .middleware import mark_login_time

    user_logged_in.connect(mark_login_time, dispatch_uid="accounts.mark_login_time")


_connect_login_receiver()
