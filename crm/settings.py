"""Relasi settings: everything comes from the environment, with safe development defaults.

Only this module reads the environment. App code reads ``django.conf.settings``.
Production: set DEBUG=false, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL and the
HTTPS settings below stay on (they default to on whenever DEBUG is off).
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET = "dev-only-insecure-secret-key-change-me"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    # Fail loudly rather than run production with a guessable key.
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "django_celery_beat",
    "axes",
    "accounts",
    "crm",
    "sales",
    "marketing",
    "service",
    "complaints",
    "branches",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After auth and messages: end idle sessions (with a message), then the user's time zone.
    "accounts.middleware.IdleSessionMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    # The language of the staff member's profile (LocaleMiddleware's choice for everyone else).
    "accounts.middleware.UserLanguageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Must be last: it turns locked-out login attempts into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "crm.wsgi.application"

# --- Database: PostgreSQL only (pg_trgm and partial indexes are part of the design).
DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgres://relasi@127.0.0.1:54329/relasi"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Relasi runs on PostgreSQL only; DATABASE_URL must be postgres://")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Branch <-> head-office sync (issue 16, branches/sync*.py, docs/SYNC_DESIGN.md).
# The same code runs as head office ("hq", the default and the one-machine `make run`) or as a
# branch's own instance ("branch": its own PostgreSQL, synchronising with HQ_URL when it chooses).
RELASI_ROLE = env.str("RELASI_ROLE", default="hq")
if RELASI_ROLE not in ("hq", "branch"):
    raise ImproperlyConfigured("RELASI_ROLE must be 'hq' or 'branch'")
BRANCH_CODE = env.str("BRANCH_CODE", default="")  # branch role: the code of the branch it runs
HQ_URL = env.str("HQ_URL", default="").rstrip("/")  # branch role: head office's base URL
SYNC_TOKEN = env.str("SYNC_TOKEN", default="")  # branch role: the credential head office issued
if RELASI_ROLE == "branch" and not BRANCH_CODE:
    raise ImproperlyConfigured("RELASI_ROLE=branch needs BRANCH_CODE (and HQ_URL, SYNC_TOKEN to synchronise)")
# The node name written with every field's clock: "hq" or the branch's code.
SYNC_NODE = "hq" if RELASI_ROLE == "hq" else BRANCH_CODE
# Changes per push batch / pull page; seconds a request to head office may take.
SYNC_BATCH_SIZE = env.int("SYNC_BATCH_SIZE", default=2000)
SYNC_TIMEOUT_SECONDS = env.int("SYNC_TIMEOUT_SECONDS", default=120)
# A branch clock further ahead than this never wins a conflict at head office.
SYNC_MAX_CLOCK_AHEAD_SECONDS = env.int("SYNC_MAX_CLOCK_AHEAD_SECONDS", default=300)
# Head office: a branch silent longer than this raises a notification (checked hourly).
SYNC_SILENT_HOURS = env.int("SYNC_SILENT_HOURS", default=24)
# Branch: synchronise every N minutes from beat (0: only "Sync now" and `manage.py sync_now`).
SYNC_EVERY_MINUTES = env.int("SYNC_EVERY_MINUTES", default=0)
# Tests only: this instance's clock runs this many seconds ahead (a branch whose clock is fast).
SYNC_CLOCK_OFFSET_SECONDS = env.int("SYNC_CLOCK_OFFSET_SECONDS", default=0)
# The change triggers read the node and the test clock offset from the session.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
    f"-c relasi.node={SYNC_NODE} -c relasi.clock_offset_ms={SYNC_CLOCK_OFFSET_SECONDS * 1000}")

# --- Auth
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # AxesStandaloneBackend must come first so locked-out users are refused before the password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "crm:customer_list"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after a working day without a request (accounts.middleware.IdleSessionMiddleware
# keeps them alive while used); "this is a shared computer" at login ends them when the browser
# closes and after SESSION_SHARED_IDLE_HOURS without a request.
SESSION_IDLE_SECONDS = int(env.float("SESSION_IDLE_HOURS", default=9) * 3600)
SESSION_SHARED_IDLE_SECONDS = int(env.float("SESSION_SHARED_IDLE_HOURS", default=1) * 3600)
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS

# django-axes: lock an account after AXES_FAILURE_LIMIT failures from any addresses, and an
# address after AXES_IP_FAILURE_LIMIT failures against any accounts (accounts.lockout).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_IP_FAILURE_LIMIT = env.int("AXES_IP_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "accounts.lockout.AccountOrAddressLockoutHandler"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"

# --- i18n: English and Bahasa Indonesia; branches live in WIB/WITA/WIT.
# Indonesian first: staff see their profile's language (accounts.middleware.UserLanguageMiddleware),
# everyone else their browser's Accept-Language, and Indonesian when it names neither.
LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]  # each in its own language, as a switcher shows them
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates "23 Nov 2026 14.05", typed "23/11/2026"; numbers stay ungrouped in templates (a year
# is not "2.026"): amounts go through crm.formatting.format_rupiah / the |rupiah filter.
FORMAT_MODULE_PATH = ["crm.formats"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

# --- Static files, served by WhiteNoise (no CDN; vendored assets live in static/vendor/).
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / ".run" / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Request limits: oversized requests are refused with 400 instead of eating memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# --- Email
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Relasi <noreply@relasi.local>")

# --- Redis / Celery
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:63799/0")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
# The Redis transport is replaced by one that survives a broker outage (crm/celery.py,
# crm/broker_transport.py); reconnect for as long as the outage lasts.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=14 * 60)
# Above the longest task, so an unacked task is not redelivered while still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env.str("CACHE_URL", default=REDIS_URL.rsplit("/", 1)[0] + "/1"),
    }
}

# --- Security: on by default whenever DEBUG is off.
# Behind exactly one reverse proxy (nginx, a load balancer) that sets X-Forwarded-Proto and
# appends the client's address to X-Forwarded-For. Only then are those headers believed: the
# public pages' rate limits key on the right-most X-Forwarded-For hop (crm/public.py client_ip).
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# django-csp 4: scripts and styles only from our own static files (no inline <script>, no
# style="" attributes, no on*="" handlers in templates; htmx's injected indicator <style> is
# switched off in base.html and its rules live in relasi.css). json_script's
# <script type="application/json"> is data, never executed, so script-src does not apply.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # Bootstrap draws its icons as data: SVG in its CSS
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # twilio's client logs every request with its headers at INFO: a million lines a send.
    "loggers": {"axes": {"level": "WARNING"}, "twilio.http_client": {"level": "WARNING"}},
}

# --- Relasi
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="ID")
CUSTOMER_LIST_PAGE_SIZE = 25
TIMELINE_PAGE_SIZE = 20
INTERACTION_CORRECTION_MINUTES = env.int("INTERACTION_CORRECTION_MINUTES", default=30)  # author may fix a summary
# Staff notifications (accounts/): kept this many days, then pruned by beat (notifications-prune).
NOTIFICATION_MAX_AGE_DAYS = env.int("NOTIFICATION_MAX_AGE_DAYS", default=90)
if NOTIFICATION_MAX_AGE_DAYS < 1:
    raise ImproperlyConfigured("NOTIFICATION_MAX_AGE_DAYS must be at least 1 (0 would prune every notification).")
NOTIFICATION_PAGE_SIZE = 25
# Sales activities (sales/): the assignee is reminded this many minutes before one is due, once.
SALES_ACTIVITY_REMINDER_MINUTES = env.int("SALES_ACTIVITY_REMINDER_MINUTES", default=30)
if not 0 <= SALES_ACTIVITY_REMINDER_MINUTES <= 7 * 24 * 60:
    raise ImproperlyConfigured("SALES_ACTIVITY_REMINDER_MINUTES must be between 0 and 10080 (a week).")

# --- Messaging (marketing/): SMS through Twilio or the development Outbox.
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_MESSAGING_SERVICE_SID = env.str("TWILIO_MESSAGING_SERVICE_SID", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
# Point the real twilio client at a Twilio-compatible server (our local gateway).
TWILIO_API_BASE_URL = env.str("TWILIO_API_BASE_URL", default="")
TWILIO_STATUS_CALLBACK_URL = env.str("TWILIO_STATUS_CALLBACK_URL", default="")  # e.g. https://crm.example.id/webhooks/twilio/status/
TWILIO_TIMEOUT_SECONDS = env.float("TWILIO_TIMEOUT_SECONDS", default=10.0)
SMS_BACKEND = env.str(
    "SMS_BACKEND",
    default="marketing.backends.TwilioBackend" if TWILIO_ACCOUNT_SID else "marketing.backends.DevelopmentBackend",
)
SMS_RATE_PER_SECOND = env.int("SMS_RATE_PER_SECOND", default=100)
# Marketing SMS is held back in these local hours of the customer's branch ("21-8").
SMS_QUIET_HOURS = env.str("SMS_QUIET_HOURS", default="21-8")
# Scheduled reminders (marketing/reminders.py): a tick looks back this many branch-local days
# for reminders whose send time passed while the job did not run (birthdays are never sent late).
# The tick's own schedule is a django-celery-beat entry in the database ("reminders-tick").
REMINDER_CATCH_UP_DAYS = env.int("REMINDER_CATCH_UP_DAYS", default=3)
# Complaint attachments: outside the web root, served only through the complaint's staff view.
COMPLAINT_FILES_ROOT = env.path("COMPLAINT_FILES_ROOT", default=BASE_DIR / ".run" / "private" / "complaints")
COMPLAINT_FILE_MAX_BYTES = env.int("COMPLAINT_FILE_MAX_BYTES", default=5 * 1024 * 1024)
# Workshop check-in photos: the same rules (images only), their own folder and size limit.
SERVICE_FILES_ROOT = env.path("SERVICE_FILES_ROOT", default=BASE_DIR / ".run" / "private" / "service")
SERVICE_PHOTO_MAX_BYTES = env.int("SERVICE_PHOTO_MAX_BYTES", default=8 * 1024 * 1024)
# Shipment hand-over photos (proof of delivery): the same rules again.
SALES_FILES_ROOT = env.path("SALES_FILES_ROOT", default=BASE_DIR / ".run" / "private" / "sales")
SALES_PROOF_MAX_BYTES = env.int("SALES_PROOF_MAX_BYTES", default=8 * 1024 * 1024)
SMS_MAX_ATTEMPTS = env.int("SMS_MAX_ATTEMPTS", default=8)
SMS_CHUNK = env.int("SMS_CHUNK", default=200)
# Dispatch tasks started per send; with a thread-pool worker, requests in flight at once.
SMS_DISPATCH_PARALLEL = env.int("SMS_DISPATCH_PARALLEL", default=6)
# A dispatch task hands over to a fresh copy of itself after this long (no starving the sweeper).
SMS_DISPATCH_SLICE_SECONDS = env.int("SMS_DISPATCH_SLICE_SECONDS", default=30)
# Accepted messages are recorded (SID, status, timeline) this many at a time, or at least
# this often; well inside SMS_STUCK_AFTER_SECONDS.
SMS_RECORD_EVERY = env.int("SMS_RECORD_EVERY", default=50)
SMS_RECORD_SECONDS = env.float("SMS_RECORD_SECONDS", default=0.5)
# The lease on rows claimed but not yet sent; and a request started longer ago than this
# (and than 2 x the Twilio timeout) with no known outcome is reconciled with the provider.
SMS_STUCK_AFTER_SECONDS = env.int("SMS_STUCK_AFTER_SECONDS", default=120)
# How often beat runs the sweeper, and when a message that stays "sent" has its status fetched.
SMS_SWEEP_SECONDS = env.int("SMS_SWEEP_SECONDS", default=60)
SMS_STATUS_CHECK_AFTER_SECONDS = env.int("SMS_STATUS_CHECK_AFTER_SECONDS", default=600)
# The public https://… address Twilio calls; webhook signatures are checked against it
# (behind a proxy, request.build_absolute_uri() would not match what Twilio signed). Also the
# start of the opt-out link in every marketing SMS ({PUBLIC_BASE_URL}/p/s/<code>): keep it short.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
# Marketing campaigns (issue 12): what one SMS segment costs, for the campaign's cost estimate.
SMS_COST_PER_SEGMENT_IDR = env.int("SMS_COST_PER_SEGMENT_IDR", default=350)
# How often beat starts the campaigns whose time has come and refreshes their statistics.
CAMPAIGNS_TICK_SECONDS = env.int("CAMPAIGNS_TICK_SECONDS", default=30)

# --- The public site (/p/: pages for customers, no login; crm/public.py)
# The company's name as customers know it: public pages and the SMS opt-out page say it.
COMPANY_NAME = env.str("COMPANY_NAME", default="Relasi")
# Beat entries live in code; django-celery-beat copies them into its tables at start.
# A sweep not started within its interval is dropped (expires): after an outage the
# queued copies do not all run at once.
CELERY_BEAT_SCHEDULE = {
    "sends-sweep": {"task": "marketing.tasks.sends_sweep_task", "schedule": float(SMS_SWEEP_SECONDS),
                    "options": {"expire_seconds": SMS_SWEEP_SECONDS}},
    # Campaigns due in a branch's zone get their send; finished ones their statistics (marketing.campaigns).
    "campaigns-tick": {"task": "marketing.tasks.campaigns_tick_task", "schedule": float(CAMPAIGNS_TICK_SECONDS),
                       "options": {"expire_seconds": CAMPAIGNS_TICK_SECONDS}},
    # Daily at 02:30 (CELERY_TIMEZONE), when nobody is reading them.
    "notifications-prune": {"task": "accounts.tasks.notifications_prune_task",
                            "schedule": crontab(hour=2, minute=30), "options": {"expire_seconds": 3600}},
    # Staff email copies whose task was lost (broker down, worker killed) get an end.
    "notification-emails-sweep": {"task": "accounts.tasks.notification_emails_sweep_task", "schedule": 900.0,
                                  "options": {"expire_seconds": 900}},
    # Complaints past their SLA time are escalated once each (complaints.services._claim).
    "complaints-sla-sweep": {"task": "complaints.tasks.complaints_sla_sweep_task", "schedule": 300.0,
                             "options": {"expire_seconds": 300}},
    # Hourly: the day-before SMS of tomorrow's workshop bookings, once each (service.services).
    "service-booking-reminders": {"task": "service.tasks.booking_reminders_send_task",
                                  "schedule": crontab(minute=5), "options": {"expire_seconds": 3600}},
    # New leads nobody contacted within the branch's business hours: escalated once each (sales.services).
    "sales-leads-escalate": {"task": "sales.tasks.leads_escalate_task", "schedule": 300.0,
                             "options": {"expire_seconds": 300}},
    # Every minute: activities due within SALES_ACTIVITY_REMINDER_MINUTES, reminded once each (sales.activity_services).
    "sales-activity-reminders": {"task": "sales.tasks.activity_reminders_send_task", "schedule": 60.0,
                                 "options": {"expire_seconds": 60}},
    # Daily at 03:15: lead scores whose "contacted recently" points ran out (sales.activity_services).
    "sales-leads-score-age": {"task": "sales.tasks.leads_score_age_task", "schedule": crontab(hour=3, minute=15),
                              "options": {"expire_seconds": 3600}},
    # Daily at 00:20: quotations past their validity are marked expired, once each (sales.quotations).
    "sales-quotations-expire": {"task": "sales.tasks.quotations_expire_task", "schedule": crontab(hour=0, minute=20),
                                "options": {"expire_seconds": 3600}},
    # Hourly: shipments past their promised date notify the shipment clerks and the order's owner once (sales.orders).
    "sales-shipments-late": {"task": "sales.tasks.shipments_notify_late_task", "schedule": crontab(minute=25),
                             "options": {"expire_seconds": 3600}},
}

# Branch sync (issue 16): head office watches for silent branches and prunes its change log
# hourly; a branch instance synchronises by itself every SYNC_EVERY_MINUTES when that is set.
if RELASI_ROLE == "hq":
    CELERY_BEAT_SCHEDULE["branches-sync-watch"] = {"task": "branches.tasks.sync_watch_task",
                                                   "schedule": crontab(minute=40), "options": {"expire_seconds": 3600}}
elif SYNC_EVERY_MINUTES:
    CELERY_BEAT_SCHEDULE["branches-sync"] = {"task": "branches.tasks.sync_now_task",
                                             "schedule": SYNC_EVERY_MINUTES * 60.0,
                                             "options": {"expire_seconds": SYNC_EVERY_MINUTES * 60}}
