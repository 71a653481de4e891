"""Generate the benchmark images: photo-like content (smooth colour fields, shapes, mild
noise), deterministic from a seed, saved as PNG and JPEG (quality 90) per size."""

import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SIZES = [(512, 512), (1024, 768), (1024, 1024), (2048, 1536)]


def make(w, h, seed):
    rng = np.random.default_rng(seed)
    grid = rng.integers(0, 256, size=(5, 5, 3), dtype=np.uint8)
    base = Image.fromarray(grid, "RGB").resize((w, h), Image.BICUBIC)
    draw = ImageDraw.Draw(base)
    for _ in range(12):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x1, y1 = x0 + int(rng.integers(20, w // 3)), y0 + int(rng.integers(20, h // 3))
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        if rng.random() < 0.5:
            draw.ellipse([x0, y0, x1, y1], fill=colour)
        else:
            draw.rectangle([x0, y0, x1, y1], fill=colour)
    base = base.filter(ImageFilter.GaussianBlur(1.5))
    arr = np.asarray(base).astype(np.int16)
    arr += rng.integers(-6, 7, size=arr.shape, dtype=np.int16)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def main():
    out = sys.argv[1]
    per_size = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    os.makedirs(out, exist_ok=True)
    for w, h in SIZES:
        for i in range(per_size):
            img = make(w, h, seed=w * 100003 + h * 101 + i)
            stem = os.path.join(out, f"{w}x{h}-{i:02d}")
            img.save(stem + ".png")
            img.save(stem + ".jpg", quality=90)


if __name__ == "__main__":
    main()
