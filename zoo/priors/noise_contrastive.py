"""Noise-contrastive prior (NCP-VAE, Aneja et al. 2021): a base prior reweighted by a classifier."""

import math

import keras
import numpy as np
import tensorflow as tf

from zoo import random as zoo_random
from zoo.building import ensure_built
from zoo.numerics import accumulate_logsumexp
from zoo.priors.prior import Prior
from zoo.progress import with_progress

__all__ = ["SAMPLERS", "NoiseContrastivePrior", "gumbel_max_resample", "log_normalizer_statistics"]

SAMPLERS = ("sir", "langevin", "base")


@keras.saving.register_keras_serializable(package="zoo")
class NoiseContrastivePrior(Prior):
    """p_NCP(z) = r(z) p(z) / Z with log r(z) = logit D(z) and Z = E_p[r(z)].

    D is a classifier trained (stage 2, `trainers.train_ncp`) to tell samples
    of the aggregate posterior q(z) (label 1) from samples of the trained base
    prior p(z) (label 0). At its optimum D = q / (q + p), so r = D / (1 - D) =
    q / p and p_NCP = q: the prior holes of p are filled.

        log p_NCP(z) = logit D(z) + log p(z) - log Z

    Z is a constant estimated once, by importance sampling from the base
    (`estimate_log_normalizer`), and stored with the prior together with its
    standard error and sample count. `log_prob` refuses to run before that;
    sampling does not need Z.

    Sampling (`sample`, used by `VAE.sample` and the exported `sample`
    signature) follows `sampler`:
      - "sir": sampling-importance-resampling. Each sample is one of
        `num_proposals` draws from the base, picked with probability
        proportional to r (the paper: 5000 proposals).
      - "langevin": Langevin dynamics on E(z) = -log r(z) - log p(z) from a
        base sample: z <- z - step/2 * dE/dz + sqrt(step) * eps.
      - "base": the base prior's own samples (for comparison).

    The prior is not trainable: stage 2 trains the classifier on its own, and
    the VAE's ELBO would push r up on posterior samples without the
    normalizer that balances it.

    Args:
        base: the trained base `Prior` p(z) (a VampPrior keeps its encoder:
            the model wires it in through this prior).
        classifier: a layer `[..., *latent_shape]` -> logits `[..., 1]`.
        sampler: one of `SAMPLERS`.
        num_proposals: SIR's proposals per sample (M).
        proposal_chunk_size: SIR proposals drawn together per sample (memory:
            `proposal_chunk_size * num_samples` latents).
        langevin_step_size: lambda.
        langevin_steps: Langevin iterations.
        **kwargs: `Prior` arguments (`seed`, `name`).

    Weights (not trainable): `log_normalizer`, `log_normalizer_stderr`
    (nats; NaN until estimated) and `log_normalizer_samples`.

    #### References
    Aneja, Schwing, Kautz, Vahdat. A Contrastive Learning Approach for Training
    Variational Autoencoder Priors. NeurIPS 2021. https://arxiv.org/abs/2010.02917
    """

    def __init__(self, base, classifier, sampler="sir", num_proposals=5000,
                 proposal_chunk_size=100, langevin_step_size=0.01, langevin_steps=100,
                 **kwargs):
        if isinstance(base, dict):
            base = keras.saving.deserialize_keras_object(base)
        if isinstance(classifier, dict):
            classifier = keras.saving.deserialize_keras_object(classifier)
        kwargs.setdefault("seed", base.seed)
        super().__init__(base.latent_shape, **kwargs)
        if sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {SAMPLERS}; got {sampler!r}.")
        for name, value in (("num_proposals", num_proposals),
                            ("proposal_chunk_size", proposal_chunk_size),
                            ("langevin_steps", langevin_steps)):
            if int(value) < 1:
                raise ValueError(f"{name} must be at least 1; got {value}.")
        if not langevin_step_size > 0:
            raise ValueError(f"langevin_step_size must be positive; got {langevin_step_size}.")
        self.base = base
        self.classifier = classifier
        self.sampler = sampler
        self.num_proposals = int(num_proposals)
        self.proposal_chunk_size = int(proposal_chunk_size)
        self.langevin_step_size = float(langevin_step_size)
        self.langevin_steps = int(langevin_steps)
        self.trainable = False

    @property
    def initialization_examples(self):
        return 0   # The base was initialized in stage 1.

    def attach_encoder(self, encode):
        """Passes the model's encoder on to a base prior that uses it (VampPrior)."""
        if hasattr(self.base, "attach_encoder"):
            self.base.attach_encoder(encode)

    def build(self, input_shape):
        latent_batch_shape = (None,) + self.latent_shape
        ensure_built(self.base, latent_batch_shape)
        ensure_built(self.classifier, latent_batch_shape)
        nan = keras.initializers.Constant(float("nan"))
        self.log_normalizer = self.add_weight(shape=(), name="log_normalizer",
                                              initializer=nan, trainable=False)
        self.log_normalizer_stderr = self.add_weight(shape=(), name="log_normalizer_stderr",
                                                     initializer=nan, trainable=False)
        self.log_normalizer_samples = self.add_weight(shape=(), name="log_normalizer_samples",
                                                      initializer="zeros", trainable=False)

    # ------------------------------------------------------------------ density

    def log_ratio(self, z):
        """log r(z) = logit D(z), `[...batch]` for `z: [...batch, *latent_shape]`."""
        return tf.squeeze(self.classifier(tf.cast(z, self.compute_dtype)), axis=-1)

    def energy(self, z, base_distribution=None):
        """E(z) = -log r(z) - log p(z), `[...batch]` (p_NCP = exp(-E) / Z)."""
        base_distribution = base_distribution or self.base.distribution()
        return -self.log_ratio(z) - base_distribution.log_prob(z)

    @property
    def has_log_normalizer(self):
        """Whether log Z has been estimated (read eagerly, also while tracing)."""
        with tf.init_scope():
            return bool(np.isfinite(keras.ops.convert_to_numpy(self.log_normalizer)))

    def build_distribution(self):
        """The density `log_prob(z) = log r(z) + log p(z) - log Z`, base built once."""
        if not self.has_log_normalizer:
            raise ValueError(
                f"{self.name}: log p_NCP(z) needs log Z, which has not been estimated. Call "
                f"estimate_log_normalizer(num_samples) first (sampling works without it).")
        return _NoiseContrastiveDensity(self, self.base.distribution())

    # ------------------------------------------------------------- normalizer

    def estimate_log_normalizer(self, num_samples=1_000_000, chunk_size=10_000, seed=None,
                                extra_log_ratio=None, progress=None):
        """Estimates log Z = log E_p[r(z)] from `num_samples` base samples and stores it.

            Z_hat = (1/M) sum_m r(z_m),  z_m ~ p(z)

        Z_hat is unbiased; log Z_hat is consistent, its bias is O(1/M) and
        negative. The standard error of log Z_hat is the delta method's
        std(r) / (sqrt(M) Z_hat), computed from the same samples.

        Args:
            num_samples: M.
            chunk_size: samples evaluated together.
            seed: None, an int or an int `[2]` tensor; chunk i uses fold_in(seed, i).
            extra_log_ratio: for hierarchical NCPs, a function (z, seed) ->
                `[n]` log ratios of the groups below z, drawn from their base
                conditionals given z (Z is then E_p[prod_k r_k]).
            progress: a label to report the chunks' progress under (`zoo.progress`).

        Returns:
            {"log_normalizer", "stderr", "num_samples", "effective_sample_size"}.
        """
        seed = zoo_random.as_seed(seed, self.seed_generator)
        if extra_log_ratio is None:
            # Traced once per prior, so repeated estimates do not retrace.
            if getattr(self, "_base_log_ratios", None) is None:
                self._base_log_ratios = tf.function(
                    lambda n, s: self._chunk_log_ratios(n, s, None))
            chunk_log_ratios = self._base_log_ratios
        else:
            chunk_log_ratios = tf.function(
                lambda n, s: self._chunk_log_ratios(n, s, extra_log_ratio))
        sums = [-math.inf, -math.inf]   # logsumexp of log r and of 2 log r
        done = 0
        num_chunks = math.ceil(num_samples / chunk_size)
        for i in with_progress(range(num_chunks), progress, num_chunks, units="chunks"):
            n = min(chunk_size, num_samples - done)
            log_r = tf.cast(chunk_log_ratios(tf.constant(n), zoo_random.fold_in(seed, i)),
                            tf.float64)   # float64: sums over a million samples
            sums = [accumulate_logsumexp(sums[0], log_r),
                    accumulate_logsumexp(sums[1], 2.0 * log_r)]
            done += n
        stats = log_normalizer_statistics(float(sums[0]), float(sums[1]), num_samples)
        self.log_normalizer.assign(stats["log_normalizer"])
        self.log_normalizer_stderr.assign(stats["stderr"])
        self.log_normalizer_samples.assign(float(num_samples))
        return stats

    def _chunk_log_ratios(self, n, seed, extra_log_ratio):
        z = self.base.sample(n, seed=zoo_random.fold_in(seed, 0))
        log_r = self.log_ratio(z)
        if extra_log_ratio is not None:
            log_r += extra_log_ratio(z, zoo_random.fold_in(seed, 1))
        return log_r

    def log_normalizer_report(self):
        """{"log_normalizer", "stderr", "num_samples"} as stored (NaN: not estimated)."""
        value = lambda w: float(keras.ops.convert_to_numpy(w))
        return {"log_normalizer": value(self.log_normalizer),
                "stderr": value(self.log_normalizer_stderr),
                "num_samples": int(value(self.log_normalizer_samples))}

    # ----------------------------------------------------------------- sampling

    def sample(self, num_samples, seed=None):
        """`[num_samples, *latent_shape]` drawn by `self.sampler`."""
        if self.sampler == "sir":
            return self.sample_sir(num_samples, seed=seed)["z"]
        if self.sampler == "langevin":
            return self.sample_langevin(num_samples, seed=seed)
        return self.base.sample(num_samples, seed=seed)

    def sample_sir(self, num_samples, num_proposals=None, chunk_size=None, seed=None):
        """Sampling-importance-resampling from the base with weights r.

        For each of the `num_samples` outputs, M = `num_proposals` proposals
        z_m ~ p(z) are drawn and one is kept with probability r(z_m) / sum r.
        The choice is a Gumbel-max over the chunks of proposals, so memory
        grows with `chunk_size`, not with M, and the result is exactly SIR.

        Returns:
            {"z": [num_samples, *latent_shape],
             "effective_sample_size": [num_samples], (sum r)^2 / sum r^2 of
                each output's proposals, in [1, M]}.
        """
        seed = zoo_random.as_seed(seed, self.seed_generator)
        num_proposals = num_proposals or self.num_proposals
        chunk_size = min(chunk_size or self.proposal_chunk_size, num_proposals)

        def propose(n, chunk_seed):
            z = self.base.sample(n * num_samples, seed=zoo_random.fold_in(chunk_seed, 0))
            z = tf.reshape(z, tf.concat([[n, num_samples], self.latent_shape], axis=0))
            return z, self.log_ratio(z)

        result = gumbel_max_resample(propose, num_proposals, chunk_size, seed,
                                     self.compute_dtype)
        return {"z": result["choice"],
                "effective_sample_size": tf.exp(2.0 * result["log_sum"] - result["log_sum_sq"])}

    def sample_langevin(self, num_samples, step_size=None, num_steps=None, seed=None):
        """Langevin dynamics on E(z), started at base samples: `[num_samples, *latent_shape]`.

            z_{t+1} = z_t - (lambda / 2) dE/dz(z_t) + sqrt(lambda) eps_t,  eps_t ~ N(0, I)
        """
        seed = zoo_random.as_seed(seed, self.seed_generator)
        step_size = self.langevin_step_size if step_size is None else float(step_size)
        num_steps = self.langevin_steps if num_steps is None else int(num_steps)
        base_distribution = self.base.distribution()
        z0 = self.base.sample(num_samples, seed=zoo_random.fold_in(seed, 0))

        def step(t, z):
            with tf.GradientTape() as tape:
                tape.watch(z)
                energy = tf.reduce_sum(self.energy(z, base_distribution))
            noise = tf.random.stateless_normal(tf.shape(z), zoo_random.fold_in(seed, t + 1),
                                               dtype=z.dtype)
            z = z - 0.5 * step_size * tape.gradient(energy, z) + math.sqrt(step_size) * noise
            return t + 1, z

        _, z = tf.while_loop(lambda t, _: t < num_steps, step, (tf.constant(0), z0))
        return z

    def get_config(self):
        config = super().get_config()
        del config["latent_shape"]   # The base's.
        config.update(base=keras.saving.serialize_keras_object(self.base),
                      classifier=keras.saving.serialize_keras_object(self.classifier),
                      sampler=self.sampler, num_proposals=self.num_proposals,
                      proposal_chunk_size=self.proposal_chunk_size,
                      langevin_step_size=self.langevin_step_size,
                      langevin_steps=self.langevin_steps)
        return config


class _NoiseContrastiveDensity:
    """`log_prob` of a `NoiseContrastivePrior` with its base distribution built once."""

    def __init__(self, prior, base_distribution):
        self.prior = prior
        self.base_distribution = base_distribution

    def log_prob(self, z):
        z = tf.cast(z, self.prior.compute_dtype)
        return (self.prior.log_ratio(z) + self.base_distribution.log_prob(z)
                - tf.cast(self.prior.log_normalizer, z.dtype))


def gumbel_max_resample(propose, num_proposals, chunk_size, seed, dtype=tf.float32):
    """Picks, per output, one of `num_proposals` proposals with probability ∝ exp(log w).

    Streams over chunks of proposals: the proposal with the largest
    log w + Gumbel noise is a draw from the normalized weights (the Gumbel-max
    trick), and the running maximum over chunks is the maximum over all.

    Args:
        propose: (n, seed) -> (z `[n, *batch, *event]`, log w `[n, *batch]`),
            n proposals for each output.
        num_proposals: M.
        chunk_size: proposals per call of `propose`.
        seed: int64 `[2]`; chunk i uses fold_in(seed, i).

    Returns:
        {"choice": `[*batch, *event]`, "log_sum": logsumexp of log w `[*batch]`,
         "log_sum_sq": logsumexp of 2 log w `[*batch]`}.
    """
    num_chunks = -(-int(num_proposals) // int(chunk_size))

    def chunk(i):
        """The chunk's best proposal, its score and the chunk's weight sums."""
        n = tf.minimum(chunk_size, num_proposals - i * chunk_size)
        chunk_seed = zoo_random.fold_in(seed, i)
        z, log_w = propose(n, chunk_seed)
        log_w = tf.cast(log_w, dtype)
        uniform = tf.random.stateless_uniform(tf.shape(log_w), zoo_random.fold_in(chunk_seed, 1),
                                              minval=np.finfo(np.float32).tiny, dtype=dtype)
        score = log_w - tf.math.log(-tf.math.log(uniform))
        # Each output's chosen proposal, by a one-hot mask over the proposals
        # (exact: the others are multiplied by 0), for any number of batch axes.
        pick = tf.one_hot(tf.argmax(score, axis=0), n, axis=0, dtype=z.dtype)
        pick = tf.reshape(pick, tf.concat([tf.shape(pick), tf.ones(
            [len(z.shape) - len(log_w.shape)], tf.int32)], axis=0))
        best = tf.reduce_sum(z * pick, axis=0)
        return tf.reduce_max(score, axis=0), best, log_w

    def body(i, best_score, best, log_sum, log_sum_sq):
        score, chunk_best, log_w = chunk(i)
        take = score > best_score
        take_rows = tf.reshape(take, tf.concat(
            [tf.shape(take), tf.ones([len(best.shape) - len(take.shape)], tf.int32)], axis=0))
        return (i + 1, tf.maximum(score, best_score), tf.where(take_rows, chunk_best, best),
                accumulate_logsumexp(log_sum, log_w), accumulate_logsumexp(log_sum_sq, 2.0 * log_w))

    score, best, log_w = chunk(tf.constant(0))
    first = (score, best, tf.reduce_logsumexp(log_w, axis=0),
             tf.reduce_logsumexp(2.0 * log_w, axis=0))
    _, _, best, log_sum, log_sum_sq = tf.while_loop(
        lambda i, *_: i < num_chunks, body, (tf.constant(1),) + first)
    return {"choice": best, "log_sum": log_sum, "log_sum_sq": log_sum_sq}


def log_normalizer_statistics(log_sum, log_sum_sq, num_samples):
    """log Z_hat and its delta-method standard error from sum r and sum r^2 (in logs).

    With S1 = sum r, S2 = sum r^2 over M samples: Z_hat = S1 / M, the sample
    variance of r is M / (M - 1) (S2 / M - Z_hat^2), and
        stderr(log Z_hat) = std(r) / (sqrt(M) Z_hat) = sqrt((M S2 / S1^2 - 1) / (M - 1)).
    The effective sample size is S1^2 / S2.
    """
    m = float(num_samples)
    m_over_ess = math.exp(math.log(m) + log_sum_sq - 2.0 * log_sum)
    stderr = math.sqrt(max(m_over_ess - 1.0, 0.0) / (m - 1.0)) if m > 1 else float("inf")
    return {"log_normalizer": float(log_sum - math.log(m)), "stderr": stderr,
            "num_samples": int(num_samples), "effective_sample_size": m / m_over_ess}

