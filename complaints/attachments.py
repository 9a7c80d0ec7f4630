"""Attachments: what is accepted (JPEG, PNG, PDF by their first bytes, not their name), how
big, and where they are kept (outside the web root; never under STATIC_ROOT or a MEDIA_URL)."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.utils.translation import gettext as _

# Default 5 MB; COMPLAINT_FILE_MAX_BYTES in the settings overrides it.
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# Content type -> (the file's first bytes, the name endings that go with it).
IMAGE_KINDS = {
    "image/jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg")),
    "image/png": (b"\x89PNG\r\n\x1a\n", (".png",)),
}
KINDS = {
    **IMAGE_KINDS,
    "application/pdf": (b"%PDF-", (".pdf",)),
}


def files_root() -> Path:
    return Path(getattr(settings, "COMPLAINT_FILES_ROOT", settings.BASE_DIR / ".run" / "private" / "complaints"))


class PrivateStorage(FileSystemStorage):
    """Files under COMPLAINT_FILES_ROOT (or the root ``root`` returns), read from the settings
    at each use (not frozen when the model class is built), with no URL: they are read back
    only by a download view that checks who asks (the service app keeps check-in photos so)."""

    def __init__(self, *args, root=None, **kwargs):
        self._root = root or files_root
        super().__init__(*args, **kwargs)

    @property
    def base_location(self):
        return str(self._root())

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None


def private_storage() -> FileSystemStorage:
    return PrivateStorage(directory_permissions_mode=0o750, file_permissions_mode=0o640)


def max_bytes() -> int:
    return int(getattr(settings, "COMPLAINT_FILE_MAX_BYTES", DEFAULT_MAX_BYTES))


def sniff(upload, *, kinds: dict | None = None, limit: int | None = None) -> str:
    """The content type of ``upload`` if it is one we take, else ValidationError (said plainly).

    The first bytes decide; the name's ending must agree, so a script named photo.jpg, or
    a JPEG named report.pdf, is refused. ``kinds`` narrows what is taken (IMAGE_KINDS:
    photos only) and ``limit`` sets another size limit in bytes."""
    kinds = KINDS if kinds is None else kinds
    limit = max_bytes() if limit is None else limit
    if upload.size > limit:
        raise ValidationError(_("The file is too big (%(size)s MB); at most %(max)s MB.")
                              % {"size": round(upload.size / 1048576, 1), "max": round(limit / 1048576, 1)})
    if upload.size == 0:
        raise ValidationError(_("The file is empty."))
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    ending = os.path.splitext(upload.name or "")[1].lower()
    images_only = "application/pdf" not in kinds
    for content_type, (magic, endings) in kinds.items():
        if head.startswith(magic):
            if ending not in endings:
                if images_only:
                    raise ValidationError(_("The file's name does not match its content. Send photos (JPEG, PNG) "
                                            "only."))
                raise ValidationError(_("The file's name does not match its content. Send photos (JPEG, PNG) "
                                        "or PDF documents only."))
            return content_type
    if images_only:
        raise ValidationError(_("Only photos (JPEG, PNG) can be attached."))
    raise ValidationError(_("Only photos (JPEG, PNG) and PDF documents can be attached."))
