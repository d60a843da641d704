"""Statistics of the posteriors q(z | x) over a dataset: moments, active units, closest pairs.

Active units follow Burda et al. (2016, Sec. 5.2); the closest pairs and their
normalized distances follow Xu et al. (2019, Appendix A and Fig. 3).
"""

import numpy as np
import tensorflow as tf

from zoo import random as zoo_random
from zoo.evaluation.dataset_evaluation import batches_of

__all__ = ["active_units", "closest_pairs", "posterior_moments_over_dataset"]


def posterior_moments_over_dataset(model, dataset, num_samples=100, seed=0, progress=None):
    """`model.posterior_moments` over a finite dataset of `x` batches.

    Batch b uses the seed fold_in(seed, b); `progress`: a label to report
    progress under (see `zoo.evaluation.batches_of`).

    Returns:
        {group: {"mean": [N, D], "std": [N, D]}} as numpy arrays.
    """

    @tf.function(reduce_retracing=True)
    def step(x, batch_seed):
        return model.posterior_moments(x, num_samples=num_samples, seed=batch_seed)

    base = zoo_random.as_seed(seed, None)
    parts = []
    for b, x in enumerate(batches_of(dataset, progress)):
        parts.append(step(x, zoo_random.fold_in(base, b)))
    return {group: {"mean": np.concatenate([p[group][0].numpy() for p in parts]),
                    "std": np.concatenate([p[group][1].numpy() for p in parts])}
            for group in parts[0]}


def active_units(means, threshold=0.01):
    """Active latent units: A_u = Cov_x(E_q(u|x)[u]) > threshold (Burda et al. 2016).

    Args:
        means: `[N, D]` posterior means E_q(z|x_n)[z] of N examples.
        threshold: the activity above which a unit counts as active (theirs: 0.01).

    Returns:
        {"activity": `[D]` variance over the examples of each unit's mean,
         "active": `[D]` bool, "count": the number of active units}.
    """
    means = np.asarray(means, np.float64)
    if means.ndim != 2 or len(means) < 2:
        raise ValueError(f"active_units needs posterior means [N >= 2, D]; got {means.shape}.")
    activity = np.var(means, axis=0)
    active = activity > threshold
    return {"activity": activity, "active": active, "count": int(active.sum())}


def closest_pairs(means, stds, chunk_size=1000):
    """For each posterior q(z|x_i), the one with the closest mean and how far it is in stds.

    With u the unit vector from mu_i to mu_j and Std[i;j] = sqrt(sum_k u_k^2
    sigma_ik^2), the std of q(z|x_i) along u (Xu et al. 2019, Appendix A):

        j(i) = argmin_{j != i} ||mu_i - mu_j||,   d_i = ||mu_i - mu_j(i)||,
        normalized_i = 2 d_i / (Std[i;j] + Std[j;i]).

    A normalized distance below ~2 means the two posteriors overlap. Rows are
    compared `chunk_size` at a time, so memory is `chunk_size * N`.

    Args:
        means, stds: `[N, D]` means and standard deviations of diagonal Gaussians.

    Returns:
        {"index": `[N]` int j(i), "distance": `[N]` d_i, "normalized_distance": `[N]`}.
    """
    means = np.asarray(means, np.float64)
    stds = np.asarray(stds, np.float64)
    if means.shape != stds.shape or means.ndim != 2 or len(means) < 2:
        raise ValueError(f"closest_pairs needs means and stds of one shape [N >= 2, D]; got "
                         f"{means.shape} and {stds.shape}.")
    squared_norms = np.sum(means ** 2, axis=1)
    index = np.empty(len(means), np.int64)
    for start in range(0, len(means), chunk_size):
        rows = slice(start, start + chunk_size)
        squared = squared_norms[rows, None] + squared_norms[None, :] - 2 * means[rows] @ means.T
        squared[np.arange(squared.shape[0]), np.arange(start, start + squared.shape[0])] = np.inf
        index[rows] = np.argmin(squared, axis=1)
    difference = means[index] - means
    distance = np.linalg.norm(difference, axis=1)
    direction = difference / np.maximum(distance, np.finfo(np.float64).tiny)[:, None]
    along = lambda sigma: np.sqrt(np.sum(direction ** 2 * sigma ** 2, axis=1))
    normalized = 2 * distance / (along(stds) + along(stds[index]))
    return {"index": index, "distance": distance, "normalized_distance": normalized}
