"""Photo checks with Pillow: formats, limits, decompression bombs, EXIF metadata, derivatives."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from server.media.images import BadImageError, ImageTooLargeError, derivative, inspect_image
from tests.submissions.support import jpeg, png, png_bomb

LIMITS = {"max_bytes": 8_000_000, "max_pixels": 40_000_000}


def _encode(fmt: str, mode: str = "RGB", size: tuple[int, int] = (32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, fmt)
    return out.getvalue()


def test_jpeg_with_exif_time_and_gps():
    info = inspect_image(jpeg(orientation=6), **LIMITS)
    assert (info.format, info.content_type, info.width, info.height) == ("JPEG", "image/jpeg", 640, 480)
    assert info.taken_at == "2026-11-28T10:11:12"
    assert info.gps_lon == pytest.approx(113.74, abs=1e-5) and info.gps_lat == pytest.approx(34.40, abs=1e-5)
    assert info.exif["make"] == "GridCam" and info.exif["orientation"] == 6


def test_southern_and_western_coordinates_are_negative():
    info = inspect_image(jpeg(gps=(-70.5, -33.45)), **LIMITS)
    assert info.gps_lon == pytest.approx(-70.5, abs=1e-5) and info.gps_lat == pytest.approx(-33.45, abs=1e-5)


def test_png_and_webp_are_accepted_without_exif():
    assert inspect_image(png(), **LIMITS).content_type == "image/png"
    webp = inspect_image(_encode("WEBP"), **LIMITS)
    assert webp.content_type == "image/webp" and webp.gps_lon is None and webp.taken_at is None


@pytest.mark.parametrize("data", [
    b"", b"plain text, not an image", _encode("GIF", "P"), _encode("BMP"), _encode("TIFF"),
    b"<svg xmlns='http://www.w3.org/2000/svg'/>",
])
def test_other_content_is_a_bad_image(data):
    with pytest.raises(BadImageError) as caught:
        inspect_image(data, **LIMITS)
    assert caught.value.status == 422 and caught.value.code == "media.bad_image"


def test_truncated_jpeg_is_a_bad_image():
    data = jpeg(800, 600)
    with pytest.raises(BadImageError):
        inspect_image(data[: len(data) // 2], **LIMITS)


def test_too_many_bytes_is_413():
    with pytest.raises(ImageTooLargeError) as caught:
        inspect_image(jpeg(), max_bytes=100, max_pixels=LIMITS["max_pixels"])
    assert caught.value.status == 413 and caught.value.code == "media.too_large"


def test_decompression_bomb_is_413_not_500():
    with pytest.raises(ImageTooLargeError) as caught:
        inspect_image(png_bomb(), **LIMITS)  # 10^10 pixels claimed: Pillow's own guard fires first
    assert caught.value.status == 413


def test_our_pixel_limit_applies_below_pillows():
    with pytest.raises(ImageTooLargeError):
        inspect_image(png_bomb(5000, 5000), max_bytes=LIMITS["max_bytes"], max_pixels=1_000_000)
    with pytest.raises(ImageTooLargeError):
        inspect_image(jpeg(2000, 1000), max_bytes=LIMITS["max_bytes"], max_pixels=1_000_000)


def test_derivative_is_upright_small_and_without_exif():
    data = derivative(jpeg(640, 480, orientation=6), 256, max_pixels=LIMITS["max_pixels"])
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.size == (192, 256)  # rotated by EXIF orientation 6, then fitted
    assert dict(image.getexif()) == {} and "exif" not in image.info


def test_derivative_of_transparent_png_is_flattened():
    image = Image.open(io.BytesIO(derivative(png(64, 32), 1280, max_pixels=LIMITS["max_pixels"])))
    assert image.mode == "RGB" and image.size == (64, 32)  # never enlarged
