"""Photo checks at intake and derivatives in the media job (Pillow).

``inspect_image`` decides whether bytes are a photo we accept: a real JPEG,
PNG or WebP that decodes completely, within the byte and pixel limits. The
pixel limit is checked from the header before any decoding, and Pillow's own
decompression-bomb guard (a warning past ``Image.MAX_IMAGE_PIXELS``, an error
past twice that) is turned into the same 4xx, so a bomb never becomes a 500
or eats the worker's memory. EXIF capture time and GPS position are read as
metadata; the derivatives made later are orientation-corrected and carry no
EXIF at all.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from server.errors import PayloadTooLargeError, RuleViolation

ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
DISPLAY_PX = 1280
THUMB_PX = 256

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_TAGS = {0x010F: "make", 0x0110: "model", 0x0112: "orientation", 0x0132: "datetime"}
_EXIF_TAGS = {0x9003: "datetime_original", 0x9011: "offset_time_original"}


@dataclass(frozen=True)
class ImageInfo:
    """What a verified photo is."""

    format: str
    content_type: str
    width: int
    height: int
    taken_at: str | None = None
    gps_lon: float | None = None
    gps_lat: float | None = None
    exif: dict[str, Any] = field(default_factory=dict)


class BadImageError(RuleViolation):
    """The bytes are not a photo we accept."""

    code, message_zh = "media.bad_image", "图片无效或格式不受支持（仅支持 JPEG、PNG、WebP）"


class ImageTooLargeError(PayloadTooLargeError):
    """Too many bytes or pixels (a decompression bomb is the extreme case)."""

    code, message_zh = "media.too_large", "图片过大"


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Open with our own pixel limit checked before Pillow decodes anything."""
    if Image.MAX_IMAGE_PIXELS is not None and max_pixels > Image.MAX_IMAGE_PIXELS:
        # Pillow's guard must not refuse what our (larger) limit allows; only ever raised, never lowered.
        Image.MAX_IMAGE_PIXELS = max_pixels
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageTooLargeError(f"image has too many pixels: {exc}",
                                     errors={"pixels": [f"at most {max_pixels}"]}) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise BadImageError(f"not an image: {exc}") from exc
    width, height = image.size
    if width <= 0 or height <= 0 or width * height > max_pixels:
        raise ImageTooLargeError(f"image is {width}x{height}, more than {max_pixels} pixels",
                                 errors={"pixels": [f"at most {max_pixels}"]})
    return image


def inspect_image(data: bytes, *, max_bytes: int, max_pixels: int) -> ImageInfo:
    """Verify that ``data`` is an acceptable photo and read its EXIF metadata."""
    if len(data) > max_bytes:
        raise ImageTooLargeError(f"image is {len(data)} bytes, more than {max_bytes}",
                                 errors={"bytes": [f"at most {max_bytes}"]})
    if not data:
        raise BadImageError("empty file")
    image = _open(data, max_pixels)
    fmt = (image.format or "").upper()
    if fmt not in ALLOWED_FORMATS:
        raise BadImageError(f"image format {fmt or 'unknown'} is not accepted (JPEG, PNG, WebP)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.verify()  # structure and checksums
            image = Image.open(io.BytesIO(data))
            image.load()  # every pixel decodes: catches truncated files
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLargeError(f"image has too many pixels: {exc}") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise BadImageError(f"image is damaged: {exc}") from exc
    exif = read_exif(image)
    return ImageInfo(fmt, ALLOWED_FORMATS[fmt], image.width, image.height,
                     taken_at=exif.get("datetime_original") or exif.get("datetime"),
                     gps_lon=exif.get("gps_lon"), gps_lat=exif.get("gps_lat"), exif=exif)


def _rational(value: Any) -> float:
    if isinstance(value, tuple) and len(value) == 2:
        return float(Fraction(int(value[0]), int(value[1]) or 1))
    return float(value)


def _dms(values: Any, ref: Any) -> float | None:
    try:
        degrees, minutes, seconds = (_rational(v) for v in values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = degrees + minutes / 60 + seconds / 3600
    if str(ref).strip().upper() in ("S", "W"):
        result = -result
    return round(result, 7)


def _exif_time(value: Any) -> str | None:
    """EXIF "YYYY:MM:DD HH:MM:SS" as ISO 8601 (local camera time, no offset)."""
    text = str(value).strip().rstrip("\x00")
    if len(text) >= 19 and text[4] == ":" and text[7] == ":":
        return f"{text[0:4]}-{text[5:7]}-{text[8:10]}T{text[11:19]}"
    return None


def read_exif(image: Image.Image) -> dict[str, Any]:
    """Capture time, camera and GPS position from EXIF, as plain JSON values."""
    try:
        exif = image.getexif()
    except Exception:  # noqa: BLE001 - broken EXIF is metadata we do without
        return {}
    result: dict[str, Any] = {}
    for tag, name in _TAGS.items():
        if tag in exif:
            result[name] = exif[tag] if isinstance(exif[tag], int) else str(exif[tag]).strip("\x00 ")
    sub = exif.get_ifd(_EXIF_IFD)
    for tag, name in _EXIF_TAGS.items():
        if tag in sub:
            result[name] = str(sub[tag]).strip("\x00 ")
    for key in ("datetime", "datetime_original"):
        if key in result:
            result[key] = _exif_time(result[key])
    gps = exif.get_ifd(_GPS_IFD)
    if 2 in gps and 4 in gps:
        lat, lon = _dms(gps[2], gps.get(1, "N")), _dms(gps[4], gps.get(3, "E"))
        if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
            result["gps_lat"], result["gps_lon"] = lat, lon
    return {k: v for k, v in result.items() if v is not None}


def derivative(data: bytes, max_px: int, *, max_pixels: int) -> bytes:
    """A JPEG no larger than ``max_px`` on either side, upright, with no EXIF."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = _open(data, max_pixels)
        image = ImageOps.exif_transpose(image)
        image.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)  # no exif= and no icc: nothing personal carried over
    return out.getvalue()
