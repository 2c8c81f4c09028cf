"""What an uploaded file is, decided from its bytes alone, and images made safe to pass on.

The name a client gives a file and the Content-Type it claims are ignored: a PNG called `x.pdf` is a
PNG. Images are decoded and encoded afresh by Pillow, so what is kept is pixels and nothing else: no
EXIF (a phone's GPS position of the resident's home), no comments, no trailing bytes, no second frame.
A PDF cannot be cleaned that way; it is kept as it came and only ever served as a download.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from customer360.domain.attachments import PDF, AttachmentCode, AttachmentPurpose
from customer360.domain.problems import Problem

pillow_heif.register_heif_opener()

# Pillow formats we decode, by what the first bytes say. HEIC (iPhones' default) is decoded by
# pillow-heif and kept as JPEG, which every browser and back office can show.
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1")
KEPT_AS = {"JPEG": ("JPEG", "image/jpeg"), "PNG": ("PNG", "image/png"), "WEBP": ("WEBP", "image/webp")}
HEIF_KEPT_AS = ("JPEG", "image/jpeg")
JPEG_QUALITY = 88


@dataclass(frozen=True, slots=True)
class CleanFile:
    data: bytes
    content_type: str
    width: int | None
    height: int | None


def sniff(data: bytes) -> str | None:
    """The Pillow format (or `PDF`) the bytes are, from their signature; None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "HEIF"
    if data.startswith(b"%PDF-"):
        return PDF
    return None


def clean(data: bytes, purpose: AttachmentPurpose, *, max_pixels: int) -> CleanFile | Problem:
    """The file to keep, or why not. CPU-bound: run it in a thread."""
    field = ("file",)
    kind = sniff(data)
    if kind == PDF and purpose is AttachmentPurpose.EVIDENCE:
        return CleanFile(data, PDF, None, None)
    if kind is None or kind == PDF:
        allowed = "a JPEG, PNG, WebP or HEIC photo" + (", or a PDF" if purpose is AttachmentPurpose.EVIDENCE else "")
        return Problem(field, AttachmentCode.UNSUPPORTED_TYPE, f"The file must be {allowed}")
    return _reencoded(data, kind, field, max_pixels)


def _reencoded(data: bytes, kind: str, field: tuple[str, ...], max_pixels: int) -> CleanFile | Problem:
    too_big = Problem(
        field, AttachmentCode.TOO_MANY_PIXELS, f"The image must be {max_pixels // 1_000_000} megapixels or fewer"
    )
    unreadable = Problem(field, AttachmentCode.UNREADABLE, "The image could not be read: it may be damaged")
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check warns, then raises at twice its limit; ours is checked first, below.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                # The header's size, before a pixel is decoded: a 100 KB PNG may claim 50,000 x 50,000.
                if image.width * image.height > max_pixels:
                    return too_big
                image.seek(0)  # an animation's first frame only
                image.load()
                upright = ImageOps.exif_transpose(image)  # EXIF goes, so its rotation is applied first
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return too_big
    except (OSError, ValueError, SyntaxError, EOFError, UnidentifiedImageError):
        return unreadable
    pillow_format, content_type = HEIF_KEPT_AS if kind == "HEIF" else KEPT_AS[kind]
    if pillow_format == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    elif upright.mode not in ("RGB", "RGBA", "L", "LA"):
        upright = upright.convert("RGBA")  # a palette, CMYK, 16-bit: plain pixels, transparency kept
    # A new image from the pixels alone: nothing of `info` (EXIF, XMP, ICC, comments, text chunks).
    fresh = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    out = io.BytesIO()
    options = {"quality": JPEG_QUALITY} if pillow_format in ("JPEG", "WEBP") else {"optimize": True}
    fresh.save(out, format=pillow_format, **options)
    return CleanFile(out.getvalue(), content_type, fresh.width, fresh.height)
