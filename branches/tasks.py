"""Background work of the branches app: the branch's sync, and head office's watch over branches."""

from celery import shared_task


@shared_task
def sync_now_task() -> dict | None:
    """At a branch instance: "Sync now", and beat every SYNC_EVERY_MINUTES when set."""
    from .client import Busy, SyncFailed, run

    try:
        return run()
    except Busy:
        return None
    except SyncFailed:
        return None  # recorded on the sync state: the page shows it


@shared_task
def sync_watch_task() -> int:
    """At head office, hourly: tell head office about silent branches; prune the log."""
    from .services import sync_watch

    return sync_watch()
