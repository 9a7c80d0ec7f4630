"""The Celery app. Workers: ``celery -A crm worker``; the one beat: ``celery -A crm beat``."""

import os

from celery import Celery

from .broker_transport import install as install_broker_transport

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
install_broker_transport()  # a worker that survives Redis outages (see crm/broker_transport.py)

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
