"""Time the image pipeline on a 12-megapixel JPEG: decode, orient, strip, four variants, blurhash.

    python -m bench.media_processing [--runs 9] [--megapixels 12]

The photo is synthetic but photo-like (smooth gradients, shapes and sensor-like noise), so JPEG
and WebP do about as much work as on a real camera picture. Prints the median and spread.
"""

import argparse
import io
import os
import random
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ciel.settings")
django.setup()

from PIL import Image, ImageDraw, ImageFilter

from media.imaging import process_image


def photo_like_jpeg(megapixels: float, seed: int = 12) -> bytes:
    rng = random.Random(seed)
    width = int((megapixels * 1_000_000 * 4 / 3) ** 0.5)
    height = int(width * 3 / 4)
    sky = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    image = Image.merge("RGB", [sky.getchannel(0).point(lambda v: 40 + v // 2), sky.getchannel(1),
                                sky.getchannel(2).point(lambda v: 255 - v // 3)])  # fmt: skip
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(width // 40, width // 8)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(4))
    # Sensor noise and texture, at a level that gives a file the size of a phone's photo (~4 MB).
    noise = Image.merge("RGB", [Image.effect_noise((width, height), 40) for _ in range(3)])
    image = Image.blend(image, noise, 0.3)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--megapixels", type=float, default=12.0)
    args = parser.parse_args()

    data = photo_like_jpeg(args.megapixels)
    image = Image.open(io.BytesIO(data))
    print(f"input: {image.width}×{image.height} JPEG, {len(data) / 1e6:.1f} MB")
    process_image(data, expected_format="JPEG", max_pixels=50_000_000)  # warm-up
    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        result = process_image(data, expected_format="JPEG", max_pixels=50_000_000)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    print(
        f"process_image over {args.runs} runs: median {statistics.median(timings):.0f} ms, "
        f"min {timings[0]:.0f} ms, max {timings[-1]:.0f} ms"
    )
    for variant in result.variants:
        print(
            f"  {variant.name:8} {variant.width}×{variant.height} {variant.content_type:10} "
            f"{len(variant.data) / 1000:.0f} kB"
        )


if __name__ == "__main__":
    main()
