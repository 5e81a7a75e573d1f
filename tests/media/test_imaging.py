"""The Pillow pipeline on its own: variants, orientation, metadata, and hostile files."""

import io

import pytest
from PIL import Image, ImageCms

from media.imaging import ImageRejected, process_image
from tests.media.images import (
    jpeg_with_gps_and_rotation,
    plain_jpeg,
    png_bomb,
    truncated_jpeg,
    two_colour_photo,
)

MAX_PIXELS = 50_000_000


def variants_of(data: bytes, image_format: str = "JPEG") -> dict[str, Image.Image]:
    result = process_image(data, expected_format=image_format, max_pixels=MAX_PIXELS)
    return {v.name: Image.open(io.BytesIO(v.data)) for v in result.variants}


def test_variant_sizes_and_formats():
    result = process_image(plain_jpeg(2000, 1500), expected_format="JPEG", max_pixels=MAX_PIXELS)

    sizes = {v.name: (v.width, v.height, v.content_type) for v in result.variants}
    assert sizes == {
        "thumb": (150, 150, "image/webp"),
        "small": (300, 300, "image/webp"),
        "display": (1080, 810, "image/webp"),
        "original": (2000, 1500, "image/jpeg"),
    }
    assert (result.width, result.height) == (2000, 1500)
    assert len(result.blurhash) > 6


def test_original_is_bounded_to_4096_and_small_images_are_not_enlarged():
    big = {
        v.name: (v.width, v.height)
        for v in process_image(
            plain_jpeg(5000, 2500), expected_format="JPEG", max_pixels=MAX_PIXELS
        ).variants
    }
    small = {v.name: (v.width, v.height) for v in process_image(
        plain_jpeg(400, 300), expected_format="JPEG", max_pixels=MAX_PIXELS).variants}  # fmt: skip

    assert big["original"] == (4096, 2048)
    assert big["display"] == (1080, 540)
    assert small["display"] == (400, 300)
    assert small["original"] == (400, 300)


def test_orientation_is_applied_and_every_piece_of_metadata_is_gone():
    source = jpeg_with_gps_and_rotation(800, 400)
    assert b"GPS" in source or Image.open(io.BytesIO(source)).getexif().get_ifd(0x8825)

    variants = variants_of(source)

    display = variants["display"]
    assert display.size == (400, 800)  # stored landscape, shown portrait
    # Orientation 6 turns the left (red) half to the top.
    assert display.convert("RGB").getpixel((200, 100))[0] > 150
    assert display.convert("RGB").getpixel((200, 700))[2] > 150
    for name, image in variants.items():
        assert not image.getexif(), name
        assert "exif" not in image.info, name
        assert "xmp" not in image.info, name
        assert "XML:com.adobe.xmp" not in image.info, name


@pytest.mark.parametrize(
    "data",
    [jpeg_with_gps_and_rotation()],
)
def test_raw_bytes_carry_no_gps_exif_or_xmp(data):
    result = process_image(data, expected_format="JPEG", max_pixels=MAX_PIXELS)

    for variant in result.variants:
        assert b"Exif\x00\x00" not in variant.data
        assert b"CielTestCam" not in variant.data
        assert b"ns.adobe.com" not in variant.data
        assert b"GPSLatitude" not in variant.data


def test_the_colour_profile_is_kept():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    two_colour_photo().save(buffer, "JPEG", icc_profile=profile)

    variants = variants_of(buffer.getvalue())

    assert all(image.info.get("icc_profile") == profile for image in variants.values())


def test_transparency_is_kept_in_webp():
    buffer = io.BytesIO()
    Image.new("RGBA", (500, 500), (0, 0, 0, 0)).save(buffer, "PNG")

    result = process_image(buffer.getvalue(), expected_format="PNG", max_pixels=MAX_PIXELS)

    original = next(v for v in result.variants if v.name == "original")
    assert original.content_type == "image/webp"
    assert Image.open(io.BytesIO(original.data)).mode == "RGBA"


@pytest.mark.parametrize(
    ("data", "declared", "reason"),
    [
        (png_bomb(), "PNG", "megapixels"),
        (png_bomb(8000, 7000), "PNG", "megapixels"),  # 56 Mpx: between our limit and Pillow's
        (b"just some text, not an image at all\n" * 10, "JPEG", "not a JPEG, PNG or WebP"),
        (truncated_jpeg(), "JPEG", "damaged"),
        (plain_jpeg(), "PNG", "does not match"),
        (b"GIF89a" + b"\x00" * 100, "JPEG", "not a JPEG, PNG or WebP"),
    ],
)
def test_hostile_files_are_rejected_with_a_reason(data, declared, reason):
    with pytest.raises(ImageRejected, match=reason):
        process_image(data, expected_format=declared, max_pixels=MAX_PIXELS)


def test_the_bomb_is_99_bytes():
    assert len(png_bomb()) == 99
