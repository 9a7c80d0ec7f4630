"""Staff accounts: users log in by email and belong to one branch and one department."""

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Every model that will travel in branch sync carries these."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


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


class User(AbstractUser):
    """A staff member. ``is_staff`` keeps its Django meaning: may use the admin (back office)."""

    username = None
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


# The idle-session clock starts at every login (accounts.middleware.IdleSessionMiddleware).
def _connect_login_receiver():
    from django.contrib.auth.signals import user_logged_in

    from .middleware import mark_login_time

    user_logged_in.connect(mark_login_time, dispatch_uid="accounts.mark_login_time")


_connect_login_receiver()
