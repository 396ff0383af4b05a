"""Photos uploaded with a matter or a patrol: checked, re-encoded, stored, and never
left behind by a report that was refused.

A phone photo carries EXIF: the phone's make and, usually, the exact place it was taken
— often a resident's door. The report keeps the place it needs in its own fields; the
photo is re-encoded without EXIF, turned upright first, and scaled to a size that shows
the matter without filling the disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from fangkong.accounts.models import User

from ..models import GovCase, PatrolLog, Photo
from .common import bad

FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}  # MPO: what many phones' JPEGs open as
LONG_SIDE = 2048
MAX_PIXELS = 50_000_000  # a 50-megapixel phone camera; larger is a decompression bomb
MAX_PER_REPORT = 6


@dataclass(frozen=True)
class PreparedPhoto:
    content: bytes
    width: int
    height: int


def max_bytes() -> int:
    return int(getattr(settings, "FANGKONG_PHOTO_MAX_BYTES", 10 * 1024 * 1024))


def prepare_photo(upload, *, field: str = "photo") -> PreparedPhoto:
    """The upload as a clean JPEG, or a rule error naming the field."""
    if upload.size > max_bytes():
        raise bad(
            field,
            "too_large",
            _("A photo may be at most %(mb)d MB.") % {"mb": max_bytes() // (1024 * 1024)},
        )
    raw = upload.read()
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            fmt, (width, height) = probe.format, probe.size
            if fmt not in FORMATS:
                raise bad(field, "format", _("Send a photo as JPEG, PNG or WebP."))
            if width * height > MAX_PIXELS:
                raise bad(field, "too_many_pixels", _("The photo has too many pixels."))
            probe.verify()
        with Image.open(io.BytesIO(raw)) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((LONG_SIDE, LONG_SIDE))
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=85, optimize=True)
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise bad(field, "unreadable", _("This file is not a readable photo.")) from None
    return PreparedPhoto(out.getvalue(), width, height)


def prepare_photos(uploads: Sequence, *, field: str = "photo") -> list[PreparedPhoto]:
    if len(uploads) > MAX_PER_REPORT:
        raise bad(field, "too_many", _("At most %(n)d photos per report.") % {"n": MAX_PER_REPORT})
    return [prepare_photo(u, field=field) for u in uploads]


@contextlib.contextmanager
def stored_files() -> Iterator[list[str]]:
    """Files written inside the block are deleted again if the block fails, so a refused
    report leaves no photo behind. (A crash between the file and the row leaves an
    unreferenced file, never a row without its file.)"""
    names: list[str] = []
    try:
        yield names
    except BaseException:
        for name in names:
            default_storage.delete(name)
        raise


def save_photos(
    photos: Sequence[PreparedPhoto],
    *,
    names: list[str],
    user,
    case: GovCase | None = None,
    patrol: PatrolLog | None = None,
) -> list[Photo]:
    """Write each photo's file, then its row; call inside the report's transaction and a
    `stored_files()` block whose list is `names`."""
    rows = []
    for photo in photos:
        digest = hashlib.sha256(photo.content).hexdigest()
        folder = timezone.localdate().strftime("governance/photos/%Y/%m")
        name = default_storage.save(f"{folder}/{uuid.uuid4().hex}.jpg", ContentFile(photo.content))
        names.append(name)
        rows.append(
            Photo.objects.create(
                case=case,
                patrol=patrol,
                file=name,
                sha256=digest,
                width=photo.width,
                height=photo.height,
                size_bytes=len(photo.content),
                uploaded_by=user if isinstance(user, User) else None,
            )
        )
    return rows
