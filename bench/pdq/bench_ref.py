"""Single-thread timing of the reference C++ PDQ through the `pdqhash` Python package
(the binding python-threatexchange and HMA use). Same output format as the Rust
`pdq_bench` example: path, width, height, hash, quality, median ms.

  pixels REPS FILE...  time pdqhash.compute on the already-decoded RGB array
  files  REPS FILE...  time Pillow open + convert("RGB") + numpy + pdqhash.compute
"""

import statistics
import sys
import time

import numpy as np
import pdqhash
from PIL import Image


def to_hex(bits):
    # pdqhash returns the 256 bits most significant first (python-threatexchange's reading).
    return "{:064x}".format(int("".join(str(int(b)) for b in bits), 2))


def load(path):
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def main():
    mode, reps, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    for path in files:
        arr = load(path)
        times = []
        bits, quality = pdqhash.compute(arr)
        for _ in range(reps):
            t = time.perf_counter()
            if mode == "pixels":
                bits, quality = pdqhash.compute(arr)
            else:
                bits, quality = pdqhash.compute(load(path))
            times.append((time.perf_counter() - t) * 1e3)
        h, w = arr.shape[:2]
        print(f"{path}\t{w}\t{h}\t{to_hex(bits)}\t{quality}\t{statistics.median(times):.4f}")


if __name__ == "__main__":
    main()
