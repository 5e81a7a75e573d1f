"""Image processing with Pillow: everything between the uploaded bytes and the variants.

Pure functions of bytes in, bytes out, so the worker's I/O and state handling stay in
``media.services`` and this part can be measured on its own (``make bench``).

Output formats:

- ``thumb``, ``small`` and ``display`` are WebP, quality 80. These are what feeds load over and
  over: at the same visual quality WebP is 25–35 % smaller than JPEG, it keeps transparency, and
  every browser and mobile OS we target decodes it. ``method=4`` is libwebp's default speed/size
  trade-off.
- ``original`` (the archive copy, for zoom and data exports; rarely served) is JPEG, quality 90,
  when the image is opaque. Measured on a 12-megapixel photo here: JPEG encodes in ~35 ms against
  ~900 ms for WebP at the same quality, for a file ~60 % larger. Every upload pays the encode,
  few downloads pay the bytes, so JPEG. An image with transparency keeps WebP (JPEG has no alpha).
- ``small`` and ``thumb`` are cut from ``display`` rather than from the full image: 1080 pixels
  are plenty for a 300-pixel crop, and it saves two resamplings of up to 50 megapixels.
"""

import io
import struct
import warnings
from dataclasses import dataclass

import blurhash
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
CROPPED_VARIANTS = {"thumb": 150, "small": 300}
BOUNDED_VARIANTS = {"display": 1080, "original": 4096}
FEED_QUALITY = 80
ORIGINAL_QUALITY = 90
BLURHASH_SIZE = 32
WEBP = ("WEBP", "webp", "image/webp")
JPEG = ("JPEG", "jpg", "image/jpeg")


class ImageRejected(Exception):
    """The file is not an image we accept; ``str(exc)`` is a reason a client can show."""


@dataclass(frozen=True)
class Variant:
    name: str
    data: bytes
    width: int
    height: int
    extension: str
    content_type: str


@dataclass(frozen=True)
class ProcessedImage:
    width: int
    height: int
    blurhash: str
    variants: list[Variant]


def process_image(data: bytes, *, expected_format: str, max_pixels: int) -> ProcessedImage:
    image = _open(data, expected_format=expected_format, max_pixels=max_pixels)
    try:
        image = _oriented_without_metadata(image)
        original = _bounded(image, BOUNDED_VARIANTS["original"])
        display = _bounded(image, BOUNDED_VARIANTS["display"])
        variants = [
            _encoded("thumb", _cropped(display, CROPPED_VARIANTS["thumb"]), WEBP, FEED_QUALITY),
            _encoded("small", _cropped(display, CROPPED_VARIANTS["small"]), WEBP, FEED_QUALITY),
            _encoded("display", display, WEBP, FEED_QUALITY),
            _encoded(
                "original", original, WEBP if image.mode == "RGBA" else JPEG, ORIGINAL_QUALITY
            ),
        ]
        return ProcessedImage(
            width=image.width,
            height=image.height,
            blurhash=_blurhash(display),
            variants=variants,
        )
    except (OSError, ValueError, SyntaxError, struct.error) as exc:
        # Pillow's decoders and its EXIF parser signal a malformed file with these.
        raise ImageRejected("The image could not be processed.") from exc


def _open(data: bytes, *, expected_format: str, max_pixels: int) -> Image.Image:
    with warnings.catch_warnings():
        # Pillow only warns between its limit and twice that; make every excess an error.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
        except UnidentifiedImageError as exc:
            raise ImageRejected("The file is not a JPEG, PNG or WebP image.") from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(max_pixels) from exc
        if image.format != expected_format:
            raise ImageRejected("The file's content does not match its declared type.")
        # The header is read; check its claim before decoding a single pixel.
        if image.width * image.height > max_pixels:
            raise _too_many_pixels(max_pixels)
        if getattr(image, "n_frames", 1) > 1:
            raise ImageRejected("Animated images are not supported.")
        try:
            image.load()
        except (OSError, SyntaxError, ValueError) as exc:
            raise ImageRejected("The image is damaged or incomplete.") from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(max_pixels) from exc
    return image


def _too_many_pixels(max_pixels: int) -> ImageRejected:
    return ImageRejected(f"The image has more than {max_pixels // 1_000_000} megapixels.")


def _oriented_without_metadata(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation, then keep the pixels and the colour profile only.

    The copy drops ``info`` (EXIF with GPS, XMP, comments, PNG text chunks); only the ICC
    profile is carried over, because without it colours shift on wide-gamut photos.
    """
    icc_profile = image.info.get("icc_profile")
    oriented = ImageOps.exif_transpose(image)
    mode = "RGBA" if _has_alpha(oriented) else "RGB"
    clean = oriented.convert(mode)
    clean.info = {"icc_profile": icc_profile} if icc_profile else {}
    return clean


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def _bounded(image: Image.Image, bound: int) -> Image.Image:
    """At most ``bound`` pixels on the long side; never enlarged."""
    if max(image.size) <= bound:
        return image
    resized = image.copy()
    resized.thumbnail((bound, bound), Image.Resampling.LANCZOS)
    return resized


def _cropped(image: Image.Image, side: int) -> Image.Image:
    """A centred square crop scaled to ``side`` pixels."""
    return ImageOps.fit(image, (side, side), Image.Resampling.LANCZOS)


def _encoded(name: str, image: Image.Image, output: tuple[str, str, str], quality: int) -> Variant:
    image_format, extension, content_type = output
    options: dict[str, object] = {"quality": quality}
    if image_format == "WEBP":
        options["method"] = 4
    if image.info.get("icc_profile"):
        options["icc_profile"] = image.info["icc_profile"]
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return Variant(
        name=name,
        data=buffer.getvalue(),
        width=image.width,
        height=image.height,
        extension=extension,
        content_type=content_type,
    )


def _blurhash(image: Image.Image) -> str:
    small = image.convert("RGB")
    small.thumbnail((BLURHASH_SIZE, BLURHASH_SIZE), Image.Resampling.BILINEAR)
    pixels = list(small.get_flattened_data())
    rows = [pixels[y * small.width : (y + 1) * small.width] for y in range(small.height)]
    return blurhash.encode(rows, components_x=4, components_y=3)
