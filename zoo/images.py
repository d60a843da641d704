"""Image grids written as PNG files (samples, reconstructions)."""

import math
import os

import numpy as np

__all__ = ["image_grid", "write_png"]


def image_grid(images, cols=None):
    """`[n, H, W, C]` values in [0, 1] -> one uint8 `[rows*H, cols*W, C]` image, row-major.

    `cols` defaults to ceil(sqrt(n)), a square-ish grid.
    """
    images = np.asarray(images)
    n, height, width, channels = images.shape
    cols = cols or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    grid = np.zeros((rows * height, cols * width, channels), np.float32)
    for i, image in enumerate(images):
        r, c = divmod(i, cols)
        grid[r * height:(r + 1) * height, c * width:(c + 1) * width] = image
    return np.round(np.clip(grid, 0.0, 1.0) * 255).astype(np.uint8)


def write_png(path, image):
    """Writes a uint8 `[H, W, C]` image through a temporary file renamed into place."""
    import tensorflow as tf

    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(tf.io.encode_png(image).numpy())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
