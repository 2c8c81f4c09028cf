"""Real files for the attachment tests: photos carrying a GPS position, a bomb, a PDF; and the upload call."""

from __future__ import annotations

import io
import json
import struct
import zlib

import httpx
import pillow_heif
from PIL import Image
from PIL.ExifTags import GPS, IFD, Base

pillow_heif.register_heif_opener()

# Where the photo was taken: a resident's front garden in Tamworth, as a phone writes it into EXIF.
LATITUDE = (52.0, 37.0, 59.9)
LONGITUDE = (1.0, 41.0, 42.1)
UPLOAD = """
mutation($file: Upload!, $purpose: AttachmentPurpose!) {
  uploadAttachment(file: $file, purpose: $purpose) {
    attachment { id contentType bytes width height purpose moderation url }
    userErrors { field code message } } }
"""


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[Base.Make] = "PhoneCo"
    exif[Base.Orientation] = 1
    gps = exif.get_ifd(IFD.GPSInfo)
    gps[GPS.GPSLatitudeRef] = "N"
    gps[GPS.GPSLatitude] = LATITUDE
    gps[GPS.GPSLongitudeRef] = "W"
    gps[GPS.GPSLongitude] = LONGITUDE
    return exif


def photo(format: str = "JPEG", size: tuple[int, int] = (64, 48), colour: str = "red") -> bytes:
    """A picture with the GPS position in its EXIF (and, for PNG, a text chunk with a comment)."""
    image = Image.new("RGB", size, colour)
    out = io.BytesIO()
    options: dict[str, object] = {"exif": gps_exif()}
    if format == "PNG":
        from PIL.PngImagePlugin import PngInfo

        text = PngInfo()
        text.add_text("Comment", "taken at 12 Hidden Lane")
        options["pnginfo"] = text
    image.save(out, format=format, **options)
    return out.getvalue()


def has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif().get_ifd(IFD.GPSInfo))


# What decoders put in `info` about the encoding itself (not metadata about the picture or its taker).
LAYOUT_KEYS = frozenset(
    {"dpi", "jfif", "jfif_version", "jfif_unit", "jfif_density", "progressive", "progression", "loop", "background"}
)


def metadata_left(data: bytes) -> dict[str, object]:
    """Whatever of the original's metadata a stored file still carries (empty when clean)."""
    with Image.open(io.BytesIO(data)) as image:
        left: dict[str, object] = {key: value for key, value in image.info.items() if key not in LAYOUT_KEYS}
        if image.getexif():
            left["exif"] = dict(image.getexif())
    return left


def png_bomb(width: int = 50_000, height: int = 50_000) -> bytes:
    """A 100-byte PNG whose header claims 2.5 gigapixels: decoding it would take gigabytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


async def upload(
    client: httpx.AsyncClient,
    token: str | None,
    data: bytes,
    *,
    purpose: str = "PHOTO",
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
    headers: dict[str, str] | None = None,
    preflight: bool = True,
) -> httpx.Response:
    """uploadAttachment as the GraphQL multipart request spec sends it, with Apollo's CSRF-preventing header."""
    sent = dict(headers or {})
    if preflight:
        sent["Apollo-Require-Preflight"] = "true"
    if token:
        sent["Authorization"] = f"Bearer {token}"
    operations = {"query": UPLOAD, "variables": {"file": None, "purpose": purpose}}
    return await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (filename, data, content_type)},
        headers=sent,
    )


def path_of(url: str) -> str:
    """A signed link's path and query, to ask the app under test for it."""
    parsed = httpx.URL(url)
    return parsed.raw_path.decode()
