"""Shared helpers of the benchmark scripts."""

import numpy as np

from zoo import datasets


def training_images(dataset, data_dir, num_images=50000, seed=0):
    """Real training images when `data_dir` has them, else random ones of the same shape/dtype."""
    if data_dir:
        return datasets.load_splits(dataset, data_dir).train
    spec = datasets.DATASETS.get(dataset)
    high = 2 if spec.pixels == "binary" else 256
    return np.random.RandomState(seed).randint(
        0, high, (num_images,) + spec.image_shape).astype(np.uint8)


def median(values):
    return float(np.median(np.asarray(values)))
