"""Check-in photos: images only (JPEG, PNG by their first bytes, the complaints app's check),
at most SERVICE_PHOTO_MAX_BYTES, kept under SERVICE_FILES_ROOT (outside the web root)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from complaints.attachments import IMAGE_KINDS, PrivateStorage, sniff

DEFAULT_MAX_BYTES = 8 * 1024 * 1024


def files_root() -> Path:
    return Path(getattr(settings, "SERVICE_FILES_ROOT", settings.BASE_DIR / ".run" / "private" / "service"))


def max_bytes() -> int:
    return int(getattr(settings, "SERVICE_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES))


def photo_storage() -> PrivateStorage:
    return PrivateStorage(root=files_root, directory_permissions_mode=0o750, file_permissions_mode=0o640)


def photo_sniff(upload) -> str:
    """The photo's content type, or ValidationError: not an image, too big, empty."""
    return sniff(upload, kinds=IMAGE_KINDS, limit=max_bytes())
