"""ELBO and importance-sampled log-likelihood streamed over a dataset."""

import numpy as np
import tensorflow as tf

from zoo import random as zoo_random
from zoo.progress import with_progress

__all__ = ["batches_of", "elbo_over_dataset", "log_likelihood_over_dataset"]


def batches_of(dataset, progress=None):
    """The `x` of each batch of `dataset` ((x,) and (x, y) batches give x), reporting
    `zoo.progress` under the label `progress` (None: silent)."""
    cardinality = int(dataset.cardinality()) if hasattr(dataset, "cardinality") else -1
    for batch in with_progress(dataset, progress, cardinality if cardinality >= 0 else None):
        yield batch[0] if isinstance(batch, (tuple, list)) else batch


def elbo_over_dataset(model, dataset, num_samples=1, seed=0, progress=None):
    """Per-example ELBO terms over a finite dataset of `x` batches.

    Batch b uses the seed fold_in(seed, b), so results are reproducible;
    `progress`: a label to report progress under (see `batches_of`).

    Returns:
        dict of numpy arrays `[num_examples]` in nats: "elbo", "log_px_z", "kl".
    """

    @tf.function(reduce_retracing=True)
    def step(x, batch_seed):
        terms = model.elbo_terms(x, num_samples=num_samples, seed=batch_seed)
        return {"elbo": terms.elbo, "log_px_z": terms.log_px_z, "kl": terms.kl}

    base = zoo_random.as_seed(seed, None)
    parts = [step(x, zoo_random.fold_in(base, b))
             for b, x in enumerate(batches_of(dataset, progress))]
    return {k: np.concatenate([p[k].numpy() for p in parts]) for k in parts[0]}


def log_likelihood_over_dataset(model, dataset, num_samples=5000, chunk_size=25,
                                seed=0, progress=None):
    """Per-example importance-sampled log p(x) (`VAE.log_likelihood`) in nats.

    `progress`: a label to report progress under (see `batches_of`).

    Returns:
        numpy array `[num_examples]`.
    """

    @tf.function(reduce_retracing=True)
    def step(x, batch_seed):
        return model.log_likelihood(x, num_samples=num_samples,
                                    chunk_size=chunk_size, seed=batch_seed)

    base = zoo_random.as_seed(seed, None)
    return np.concatenate([step(x, zoo_random.fold_in(base, b)).numpy()
                           for b, x in enumerate(batches_of(dataset, progress))])
