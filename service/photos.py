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


# Thumbnails on the job card: the longer side at most this many pixels, JPEG.
THUMBNAIL_SIZE = (320, 320)


_TAIL = 64  # the end markers, allowing for a little padding some cameras add


def image_check(upload) -> None:
    """ValidationError unless Pillow can read ``upload`` as an image (right first bytes are not
    enough: a truncated or forged file is refused here, at the field, not later)."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _
    from PIL import Image

    refused = ValidationError(_("This file is not a readable photo. Take the photo again (JPEG or PNG)."))
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image.verify()
            kind = image.format
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise refused
    finally:
        upload.seek(0)
    # A photo cut short in the upload: Pillow cannot be asked (WeasyPrint, once imported in the
    # process, sets the global ImageFile.LOAD_TRUNCATED_IMAGES and Pillow then decodes what
    # there is), so the file's own end marker is: JPEG's EOI, PNG's IEND chunk.
    upload.seek(max(0, upload.size - _TAIL))
    tail = upload.read(_TAIL)
    upload.seek(0)
    if (kind == "JPEG" and b"\xff\xd9" not in tail) or (kind == "PNG" and b"IEND" not in tail):
        raise refused


def thumbnail_make(upload) -> bytes:
    """A small JPEG of the uploaded photo, turned upright as the camera meant (EXIF)."""
    from io import BytesIO

    from PIL import Image, ImageOps

    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail(THUMBNAIL_SIZE)
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = BytesIO()
            image.save(out, "JPEG", quality=80, optimize=True)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        # verify() passed but the pixels do not decode (a truncated file).
        raise ValidationError(_("This file is not a readable photo. Take the photo again (JPEG or PNG)."))
    finally:
        upload.seek(0)
    return out.getvalue()


def thumbnail_name(photo_name: str) -> str:
    """Next to the photo: ``service/2026/11/<hex>.jpg`` -> ``service/2026/11/<hex>.thumb.jpg``."""
    import os

    return f"{os.path.splitext(photo_name)[0]}.thumb.jpg"
