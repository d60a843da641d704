"""A VAE with one latent variable: q(z | x), p(z), p(x | z)."""

import math

import keras
import tensorflow as tf

from zoo import random as zoo_random
from zoo.building import ensure_built
from zoo.float32 import float32_kwargs
from zoo.models.elbo_terms import ElboTerms
from zoo.models.finite_steps import apply_gradients_if_finite
from zoo.models.keras_workarounds import reducible_step_logs
from zoo.models.noise_contrastive_wiring import NoiseContrastiveWiring
from zoo.models.whole_executions import WholeExecutions
from zoo.networks import gated_conv
from zoo.numerics import accumulate_logsumexp

__all__ = ["VAE"]


@keras.saving.register_keras_serializable(package="zoo")
class VAE(NoiseContrastiveWiring, WholeExecutions, keras.Model):
    """Variational autoencoder composed of five parts.

        x --encoder--> h --posterior--> q(z | x)
        z ~ prior p(z);  z --decoder--> g --likelihood--> p(x | z)

    Args:
        encoder: layer `[batch, *event_shape]` -> features `[batch, F]`.
        posterior: e.g. `DiagonalGaussianPosterior`; has `params(h)` and
            `sample_and_log_prob(h, num_samples, seed)`.
        prior: a `zoo.priors.Prior` over `latent_shape`.
        decoder: layer `[..., *latent_shape]` -> features `[..., G]` (leading
            axes such as the sample axis are kept).
        likelihood: a `zoo.likelihoods.Likelihood` with `log_prob(x, g)`.
        seed: seed of the model's own `SeedGenerator` (used by
            `log_likelihood`, `encode` and `sample` when no seed is passed),
            and of training: step t draws its noise from the stateless seed
            fold_in((seed, 0), t), t the optimizer's step count, and every
            validation batch from (seed, 1). So the noise is a function of the
            checkpointed step count, and a resumed run draws what an
            uninterrupted one would. With seed None, training draws fresh
            noise from the generator (not reproducible across a restart).

    State set by the trainer (never by the model): `beta`, the KL weight of
    the training objective (warm-up, beta-VAE), and `free_bits`, the nats of
    KL per latent group the loss leaves free (see `ElboTerms.loss`; 0: none,
    not saved with the weights). Evaluation always uses beta = 1, no free bits.
    `train_gated_conv_dtype` ("float32", or "bfloat16" where the CPU computes
    it natively): what the training step's `GatedConv2D`s compute in (see
    `zoo.networks.gated_conv.computing_in`; not saved). Every other
    computation, evaluation included, is float32.

    `compile(optimizer)` + `fit(dataset of x)` trains it: the loss is the mean
    over the batch of -(log p(x|z) - beta * KL), divided by the number of
    replicas in sync under a `tf.distribute` strategy. With `jit_compile=True`
    and `steps_per_execution` > 1, each execution of `fit` and `evaluate` runs
    as one XLA computation (`zoo.models.whole_executions`; set
    `whole_executions = False` for Keras's own loop).

    Non-finite steps: a step whose loss or gradient holds a NaN or an infinity
    on any replica is skipped (no update of the weights or of the optimizer's
    state). `nonfinite_steps` (total) and `consecutive_nonfinite_steps` count
    them; the logged metric "nonfinite" is the fraction of skipped steps, and
    the other metrics average the applied steps only. The counters are not
    saved with the weights (a resumed run counts from 0). See
    `zoo.models.finite_steps`.

    NCP-VAE's stage 2 (`noise_contrastive_pairs`, `with_noise_contrastive_prior`,
    `estimate_log_normalizer`) comes from `zoo.models.noise_contrastive_wiring`.
    """

    def __init__(self, encoder, posterior, prior, decoder, likelihood, seed=None,
                 **kwargs):
        super().__init__(**float32_kwargs(kwargs, type(self).__name__))
        self.encoder = encoder
        self.posterior = posterior
        self.prior = prior
        self.decoder = decoder
        self.likelihood = likelihood
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        if hasattr(prior, "attach_encoder"):
            # The VampPrior evaluates q(z | u) at its pseudo-inputs with this
            # model's encoder; from_config rebuilds the model, so it re-wires.
            prior.attach_encoder(self._posterior_params)
        self._train_gated_conv_dtype = "float32"
        self.beta = self.add_weight(shape=(), name="beta", trainable=False,
                                    initializer=keras.initializers.Constant(1.0))
        # Plain tf.Variables: run-time counters, deliberately not among the
        # Keras weights that checkpoints save. Every replica computes the same
        # value, so the first replica's assignment stands for all.
        counter = lambda name: tf.Variable(
            0, dtype=tf.int64, trainable=False, name=name,
            aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
        self.nonfinite_steps = counter("nonfinite_steps")
        self.free_bits = tf.Variable(0.0, trainable=False, name="free_bits",
                                     aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
        self.consecutive_nonfinite_steps = counter("consecutive_nonfinite_steps")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.elbo_tracker = keras.metrics.Mean(name="elbo")
        self.log_px_z_tracker = keras.metrics.Mean(name="log_px_z")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        self.nonfinite_tracker = keras.metrics.Mean(name="nonfinite")

    @property
    def event_shape(self):
        return self.likelihood.event_shape

    @property
    def latent_shape(self):
        return self.prior.latent_shape

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        ensure_built(self.encoder, input_shape)
        ensure_built(self.posterior, self.encoder.compute_output_shape(input_shape))
        latent_batch_shape = (None,) + self.latent_shape
        ensure_built(self.prior, latent_batch_shape)
        ensure_built(self.decoder, latent_batch_shape)
        ensure_built(self.likelihood,
                     self.decoder.compute_output_shape(latent_batch_shape))

    # ----------------------------------------------------------------- inference

    def _posterior_params(self, x):
        """(loc, scale) of q(z | x), each `[batch, D]` (what a VampPrior evaluates)."""
        if not getattr(self.posterior, "gaussian", True):
            raise ValueError(
                f"The VampPrior evaluates q(z | u) as a diagonal Gaussian; this model's posterior "
                f"({type(self.posterior).__name__}) is not one. Use a diagonal Gaussian "
                f"posterior with the VampPrior.")
        return self.posterior.params(self.encoder(x))

    def _log_weights(self, x, features, num_samples, seed, prior_distribution):
        """The terms of the log importance weights of S posterior samples.

        Args:
            x: `[batch, *event_shape]`.
            features: `self.encoder(x)`.
            num_samples: S.
            seed: int64 `[2]` stateless seed.
            prior_distribution: `self.prior.distribution()`, built once per call.

        Returns:
            (log p(x|z), {group: log p(z_g | parents)}, {group: log q(z_g | ...)}),
            each `[S, batch]`; one group "z" here, one per latent group in
            models with several.
        """
        z, log_qz_x = self.posterior.sample_and_log_prob(features, num_samples, seed)
        log_px_z = self.likelihood.log_prob(x, self.decoder(z))
        return log_px_z, {"z": prior_distribution.log_prob(z)}, {"z": log_qz_x}

    def elbo_terms(self, x, num_samples=1, seed=None):
        """Per-example ELBO terms averaged over `num_samples` posterior samples.

        Args:
            x: `[batch, *event_shape]` data.
            num_samples: posterior samples per example.
            seed: None (fresh noise), an int, or an int `[2]` tensor.

        Returns:
            `ElboTerms` with `log_px_z` and `log_pz`, `log_qz_x` per latent
            group ({"z"}, or {"z1", "z2"} in a hierarchical model), each
            `[batch]` in nats.
        """
        x = tf.cast(x, self.compute_dtype)
        log_px_z, log_pz, log_qz_x = self._log_weights(
            x, self.encoder(x), num_samples, seed, self.prior.distribution())
        mean = lambda t: tf.reduce_mean(t, axis=0)
        return ElboTerms(mean(log_px_z), {g: mean(t) for g, t in log_pz.items()},
                         {g: mean(t) for g, t in log_qz_x.items()})

    def log_likelihood(self, x, num_samples=5000, chunk_size=25, seed=None):
        """Importance-sampled log p(x) in nats, `[batch]`.

            log p(x) ~= logsumexp_s [log p(x|z_s) + log p(z_s) - log q(z_s|x)] - log S,
            z_s ~ q(z | x), s = 1..S

        The estimate is a stochastic lower bound of log p(x) whose gap shrinks as
        S grows (Burda et al., 2016), and its expectation is at least the ELBO.
        Arguments as in `importance_estimates`.

        #### References
        Burda, Grosse, Salakhutdinov. Importance Weighted Autoencoders.
        https://arxiv.org/abs/1509.00519
        """
        return self.importance_estimates(x, num_samples, chunk_size, seed)["log_likelihood"]

    def importance_estimates(self, x, num_samples=5000, chunk_size=25, seed=None):
        """The IS log-likelihood and the ELBO from the same S posterior samples.

        With log weights w_s = log p(x|z_s) + log p(z_s) - log q(z_s|x):
            log_likelihood = logsumexp_s w_s - log S
            elbo           = mean_s w_s   (the S-sample Monte Carlo ELBO)

        The samples are drawn `chunk_size` at a time and folded into a running
        log-sum-exp and sum, so memory grows with `chunk_size * batch`, not with
        S. The encoder and the prior's distribution are built once per call.

        Args:
            x: `[batch, *event_shape]`.
            num_samples: S (int or scalar int tensor, >= 1).
            chunk_size: samples evaluated together (int or scalar int tensor);
                `[batch * chunk_size, ...]` is the size of the decoder's inputs.
                Smaller chunks keep them in cache: on a 2-core CPU chunks of
                25 ran the MLP models 1.6-1.9x faster than chunks of 500
                (docs/benchmarks.md).
            seed: None, an int or an int `[2]` tensor; chunk i uses
                fold_in(seed, i).

        Returns:
            {"log_likelihood": [batch], "elbo": [batch]}, nats.
        """
        x = tf.cast(x, self.compute_dtype)
        seed = zoo_random.as_seed(seed, self.seed_generator)
        num_samples = tf.convert_to_tensor(num_samples, tf.int32)
        chunk_size = tf.minimum(tf.convert_to_tensor(chunk_size, tf.int32), num_samples)
        num_chunks = (num_samples + chunk_size - 1) // chunk_size
        features = self.encoder(x)
        prior_distribution = self.prior.distribution()

        def body(i, running_lse, running_sum):
            n = tf.minimum(chunk_size, num_samples - i * chunk_size)
            log_px_z, log_pz, log_qz_x = self._log_weights(
                x, features, n, zoo_random.fold_in(seed, i), prior_distribution)
            log_weights = log_px_z + tf.add_n(list(log_pz.values())) - tf.add_n(
                list(log_qz_x.values()))
            return (i + 1, accumulate_logsumexp(running_lse, log_weights),
                    running_sum + tf.reduce_sum(log_weights, axis=0))

        batch = tf.shape(x)[:1]
        initial = (tf.constant(0), tf.fill(batch, tf.constant(-math.inf, self.compute_dtype)),
                   tf.zeros(batch, self.compute_dtype))
        _, lse, total = tf.while_loop(lambda i, *_: i < num_chunks, body, initial)
        count = tf.cast(num_samples, self.compute_dtype)
        return {"log_likelihood": lse - tf.math.log(count), "elbo": total / count}

    def encode(self, x, seed=None):
        """Posterior parameters and one sample: {"loc", "scale", "z"}, each `[batch, D]`."""
        features = self.encoder(tf.cast(x, self.compute_dtype))
        loc, scale = self.posterior.params(features)
        z, _ = self.posterior.sample_and_log_prob(features, 1, seed)
        return {"loc": loc, "scale": scale, "z": z[0]}

    def posterior_moments(self, x, num_samples=100, seed=None):
        """Mean and standard deviation of q(z | x) per latent group and unit.

        Exact for a diagonal Gaussian posterior; for a flow posterior, the
        mean and std of `num_samples` samples.

        Args:
            x: `[batch, *event_shape]`.
            num_samples: posterior samples where the moments are not closed-form.
            seed: None, an int or an int `[2]` tensor.

        Returns:
            {group: (mean, std)}: here {"z": ...}, each `[batch, D]`.
        """
        features = self.encoder(tf.cast(x, self.compute_dtype))
        if getattr(self.posterior, "gaussian", True):
            return {"z": self.posterior.params(features)}
        z, _ = self.posterior.sample_and_log_prob(features, num_samples, seed)
        return {"z": (tf.reduce_mean(z, axis=0), tf.math.reduce_std(z, axis=0))}

    def decode_features(self, z):
        """The likelihood's features (the decoder's output) at `z` `[batch, *latent_shape]`."""
        return self.decoder(z)

    def decode(self, z):
        """Mean of p(x | z), `[batch, *event_shape]` (probabilities for Bernoulli)."""
        return self.likelihood.mean(self.decode_features(z))

    def sample(self, num_samples, seed=None):
        """Ancestral samples: {"z": [n, *latent_shape], "x", "mean": [n, *event_shape]}."""
        seed = zoo_random.as_seed(seed, self.seed_generator)
        z = self.prior.sample(num_samples, seed=zoo_random.fold_in(seed, 0))
        features = self.decoder(z)
        x = self.likelihood.sample(features, seed=zoo_random.fold_in(seed, 1))
        return {"z": z, "x": x, "mean": self.likelihood.mean(features)}

    @property
    def initialization_examples(self):
        """Training examples `initialize_from_data` wants (0: none)."""
        return self.prior.initialization_examples

    def initialize_from_data(self, x, seed=None):
        """Data-dependent initialization before training (eager, once).

        Hands the prior `x` and one posterior sample per example, `z ~ q(z|x)`
        (actnorm statistics of flow priors; the "data" VampPrior's pseudo-inputs).

        Args:
            x: `[N, *event_shape]` training examples, in random order.
        """
        x = tf.cast(x, self.compute_dtype)
        z, _ = self.posterior.sample_and_log_prob(self.encoder(x), 1, seed)
        self.prior.initialize_from_data(x, z[0])

    def call(self, x):
        """Single-sample ELBO per example, `[batch]` nats."""
        return self.elbo_terms(x).elbo

    # ------------------------------------------------------------------ parts

    def with_parts(self, **replacements):
        """A built model of this class from this one's parts, some replaced (the others shared).

        E.g. `model.with_parts(prior=other_prior)`; the seed is kept.
        """
        parts = {name: getattr(self, name) for name in self.PARTS}
        parts.update(replacements)
        model = type(self)(**parts, seed=self.seed)
        model.build((None,) + tuple(self.event_shape))
        return model

    # ------------------------------------------------------------------ training

    @property
    def metrics(self):
        return [self.loss_tracker, self.elbo_tracker, self.log_px_z_tracker,
                self.kl_tracker, self.nonfinite_tracker]

    def _record(self, loss, terms, finite=True):
        """Updates the metrics with a step's values (skipped steps count only as "nonfinite")."""
        finite = tf.convert_to_tensor(finite)
        weight = tf.cast(finite, loss.dtype)
        for tracker, value in ((self.loss_tracker, loss), (self.elbo_tracker, terms.elbo),
                               (self.log_px_z_tracker, terms.log_px_z),
                               (self.kl_tracker, terms.kl)):
            value = tf.reduce_mean(value)
            tracker.update_state(tf.where(finite, value, tf.zeros_like(value)),
                                 sample_weight=weight)
        self.nonfinite_tracker.update_state(1.0 - weight)
        return reducible_step_logs({m.name: m.result() for m in self.metrics})

    def _training_seed(self, stream):
        """Stateless seed of a train (stream 0, per optimizer step) or test (stream 1) step."""
        if self.seed is None:
            return None
        seed = tf.constant([self.seed, stream], tf.int64)
        return zoo_random.fold_in(seed, self.optimizer.iterations) if stream == 0 else seed

    @property
    def train_gated_conv_dtype(self):
        """What the training step's gated convolutions compute in ("float32" or "bfloat16")."""
        return self._train_gated_conv_dtype

    @train_gated_conv_dtype.setter
    def train_gated_conv_dtype(self, dtype):
        gated_conv.checked_compute_dtype(dtype, "train_gated_conv_dtype")
        if dtype != self._train_gated_conv_dtype:
            # The dtype is fixed when the step is traced: trace it again.
            self.train_function = None
        self._train_gated_conv_dtype = dtype

    def train_step(self, data):
        x = _features_of(data)
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape() as tape, gated_conv.computing_in(self.train_gated_conv_dtype):
            terms = self.elbo_terms(x, seed=self._training_seed(0))
            loss = terms.loss(self.beta, self.free_bits)
            replica_loss = loss / replicas
        variables = self.trainable_variables
        gradients = tape.gradient(replica_loss, variables)
        finite = apply_gradients_if_finite(self.optimizer, loss, gradients, variables)
        self.nonfinite_steps.assign_add(tf.cast(tf.logical_not(finite), tf.int64))
        self.consecutive_nonfinite_steps.assign(
            tf.where(finite, tf.constant(0, tf.int64), self.consecutive_nonfinite_steps + 1))
        return self._record(loss, terms, finite)

    def test_step(self, data):
        terms = self.elbo_terms(_features_of(data), seed=self._training_seed(1))
        loss = -tf.reduce_mean(terms.elbo)
        return self._record(loss, terms, tf.math.is_finite(loss))

    # --------------------------------------------------------------- serialization

    # The constructor arguments that are layers, serialized with the model.
    PARTS = ("encoder", "posterior", "prior", "decoder", "likelihood")
    # The latent groups of `ElboTerms` and `posterior_moments`; the prior is over the last.
    LATENT_GROUPS = ("z",)

    def get_config(self):
        config = super().get_config()
        for name in self.PARTS:
            config[name] = keras.saving.serialize_keras_object(getattr(self, name))
        config["seed"] = self.seed
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in cls.PARTS:
            config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)

    @classmethod
    def from_preset(cls, name, version=None, directory=None):
        """The trained model of the shipped pretrained export `name` (see `zoo.presets`).

        `VAE.from_preset` loads any zoo model (one- or two-level, with any prior,
        the noise-contrastive ones included); a subclass loads only its own kind.
        The model comes without optimizer state: `compile` it to fine-tune it.

        Args:
            name: a registry name, e.g. "vae_vamp_static_mnist".
            version: an export version (default: the latest that ships its Keras model).
            directory: the registry folder (default: `zoo.presets.registry_dir()`).

        Raises:
            KeyError: no such preset; the message lists the presets.
        """
        from zoo import presets

        return presets.load_preset(name, version, directory, expected_class=cls)


def _features_of(data):
    """`fit` may hand (x,), (x, y) or x; the VAE only needs x."""
    if isinstance(data, (tuple, list)):
        return data[0]
    return data
