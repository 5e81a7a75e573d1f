"""Real image files for the media tests, made with Pillow."""

import io
import struct
import zlib

from PIL import ExifTags, Image

ORIENTATION_ROTATE_90_CW = 6
XMP_PACKET = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.5N"/>'
    b"</rdf:RDF></x:xmpmeta>"
    b'<?xpacket end="w"?>'
)


def two_colour_photo(width: int = 800, height: int = 400) -> Image.Image:
    """Left half red, right half blue: its orientation can be read back from the pixels."""
    image = Image.new("RGB", (width, height), (220, 20, 20))
    image.paste((20, 20, 220), (width // 2, 0, width, height))
    return image


def jpeg_with_gps_and_rotation(width: int = 800, height: int = 400) -> bytes:
    """A JPEG stored landscape with EXIF orientation 6 (display rotated 90° clockwise),
    GPS coordinates, a camera make, and an XMP packet."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = ORIENTATION_ROTATE_90_CW
    exif[ExifTags.Base.Make] = "CielTestCam"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (48.0, 51.0, 30.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (2.0, 21.0, 7.0),
    }
    buffer = io.BytesIO()
    two_colour_photo(width, height).save(
        buffer, "JPEG", quality=92, exif=exif.tobytes(), xmp=XMP_PACKET
    )
    return buffer.getvalue()


def plain_jpeg(width: int = 640, height: int = 480) -> bytes:
    buffer = io.BytesIO()
    two_colour_photo(width, height).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A 99-byte PNG whose header claims ``width`` × ``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tEXt", b"Comment\x00" + b"x" * 11)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


def truncated_jpeg() -> bytes:
    data = plain_jpeg(1200, 900)
    return data[: len(data) // 2]
