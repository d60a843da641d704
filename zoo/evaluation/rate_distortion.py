"""Rate and distortion of a VAE on a dataset (Alemi et al. 2018; Xu et al. 2019, Fig. 4).

    rate       R = E_x KL(q(z|x) || p(z))      (summed over the latent groups)
    distortion D = -E_x E_q(z|x) log p(x|z)

so that -ELBO = D + R. Both in nats per example, and in bits per data dimension.
"""

import math

import numpy as np
import tensorflow as tf

from zoo import random as zoo_random
from zoo.evaluation.dataset_evaluation import batches_of
from zoo.priors.standard_normal import StandardNormalPrior

__all__ = ["closed_form_rate_applies", "rate_and_distortion"]


def closed_form_rate_applies(model):
    """Whether KL(q || p) is closed-form: one latent group, diagonal Gaussian q, N(0, I) prior."""
    return (tuple(model.LATENT_GROUPS) == ("z",)
            and getattr(model.posterior, "gaussian", True)
            and isinstance(model.prior, StandardNormalPrior))


def rate_and_distortion(model, dataset, num_samples=100, seed=0, progress=None):
    """Rate and distortion over a finite dataset of `x` batches.

    The rate is the closed-form KL where `closed_form_rate_applies`, else the
    Monte Carlo mean of log q(z|x) - log p(z) over `num_samples` posterior
    samples per example; the distortion is always Monte Carlo. Standard errors
    are over the examples (they include the Monte Carlo noise). `progress`: a
    label to report progress under (see `zoo.evaluation.batches_of`).

    Returns:
        {"rate", "rate_stderr", "distortion", "distortion_stderr": nats per
         example; "rate_per_group": {group: nats}; "rate_bits_per_dim",
         "distortion_bits_per_dim"; "rate_closed_form": bool; "num_examples",
         "num_samples"}.
    """
    closed_form = closed_form_rate_applies(model)

    @tf.function(reduce_retracing=True)
    def step(x, batch_seed):
        terms = model.elbo_terms(x, num_samples=num_samples, seed=batch_seed)
        kl = {g: terms.log_qz_x[g] - terms.log_pz[g] for g in terms.log_pz}
        if closed_form:
            loc, scale = model.posterior.params(model.encoder(tf.cast(x, model.compute_dtype)))
            kl = {"z": 0.5 * tf.reduce_sum(tf.square(loc) + tf.square(scale) - 1.0
                                           - 2.0 * tf.math.log(scale), axis=-1)}
        return -terms.log_px_z, kl

    base = zoo_random.as_seed(seed, None)
    distortion, rates = [], {}
    for b, x in enumerate(batches_of(dataset, progress)):
        d, kl = step(x, zoo_random.fold_in(base, b))
        distortion.append(d.numpy())
        for group, value in kl.items():
            rates.setdefault(group, []).append(value.numpy())
    distortion = np.concatenate(distortion).astype(np.float64)
    per_group = {g: np.concatenate(v).astype(np.float64) for g, v in rates.items()}
    rate = sum(per_group.values())
    dims = math.prod(model.event_shape) * math.log(2.0)
    stderr = lambda v: float(np.std(v, ddof=1) / math.sqrt(len(v))) if len(v) > 1 else math.nan
    return {"rate": float(rate.mean()), "rate_stderr": stderr(rate),
            "distortion": float(distortion.mean()), "distortion_stderr": stderr(distortion),
            "rate_per_group": {g: float(v.mean()) for g, v in sorted(per_group.items())},
            "rate_bits_per_dim": float(rate.mean()) / dims,
            "distortion_bits_per_dim": float(distortion.mean()) / dims,
            "rate_closed_form": closed_form, "num_examples": int(len(distortion)),
            "num_samples": int(num_samples)}
