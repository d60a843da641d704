"""Stage 2 of NCP-VAE: classifiers that tell aggregate-posterior samples from prior samples."""

import math

import keras
import tensorflow as tf

from zoo import random as zoo_random
from zoo.float32 import float32_kwargs

__all__ = ["NoiseContrastiveEstimation", "jensen_shannon_estimate"]


def jensen_shannon_estimate(classification_loss):
    """JSD(p || q) ~= log 2 - L / 2 in nats (Goodfellow et al. 2014; Aneja et al. 2021, Sec. 6).

    `classification_loss` is L of Eq. 3 at the optimum: E_q[-log D] + E_p[-log(1 - D)].
    """
    return math.log(2.0) - 0.5 * classification_loss


class NoiseContrastiveEstimation(keras.Model):
    """Trains one binary classifier per latent group of a frozen VAE (Aneja et al. 2021, Eq. 3-4).

    For each batch x of training data, `vae.noise_contrastive_pairs(x)` gives
    per group a posterior sample z_q (label 1), a prior sample z_p (label 0)
    and the context of the groups above (None for the top group). The loss of
    a group is Eq. 3,

        L = E_q[-log D(z)] + E_p[-log(1 - D(z))]
          = mean softplus(-logit D(z_q)) + mean softplus(logit D(z_p)),

    and the trained loss is the sum over groups (the classifiers share nothing,
    so this trains them in parallel). At the optimum D = q / (q + p), and
    log r = logit D = log q - log p. Fit it with `compile(optimizer)` and
    `fit(dataset of x)`; `vae.with_noise_contrastive_prior(classifiers)` then
    builds the NCP model.

    Args:
        vae: a trained `VAE` or `HierarchicalVAE`; frozen here.
        classifiers: {group: layer}, a classifier per group of
            `vae.noise_contrastive_pairs` (`[..., D]` -> logits `[..., 1]`; with
            a context, `[z, c]` -> logits).
        seed: training noise: step t draws from fold_in((seed, 0), t), validation
            from (seed, 1), so a run is a function of the seed.

    Metrics: "loss" (the sum), "loss_<group>" (L per group, nats), and
    "accuracy_<group>" (the fraction of z_q and z_p classified right).
    """

    def __init__(self, vae, classifiers, seed=0, **kwargs):
        super().__init__(**float32_kwargs(kwargs, type(self).__name__))
        self.vae = vae
        self.vae.trainable = False
        self.groups = tuple(sorted(classifiers))
        # A list (tracked by Keras) in the order of `groups`.
        self.classifier_layers = [classifiers[g] for g in self.groups]
        self.seed = int(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.group_trackers = {g: (keras.metrics.Mean(name=f"loss_{g}"),
                                   keras.metrics.Mean(name=f"accuracy_{g}"))
                               for g in self.groups}
        self.build((None,) + tuple(vae.event_shape))

    @property
    def classifiers(self):
        return dict(zip(self.groups, self.classifier_layers))

    def build(self, input_shape):
        """Builds the classifiers on the shapes of one example's pairs."""
        x = tf.zeros((1,) + tuple(input_shape[1:]), self.compute_dtype)
        self.group_losses(x, tf.constant([0, 0], tf.int64))

    def group_losses(self, x, seed):
        """{group: (L `[]`, accuracy `[]`)} on the pairs drawn for `x` `[batch, *event_shape]`."""
        pairs = self.vae.noise_contrastive_pairs(x, seed)
        missing = sorted(set(pairs) - set(self.groups))
        if missing:
            raise ValueError(f"No classifier for the latent groups {missing}; the model has "
                             f"groups {sorted(pairs)}.")
        results = {}
        for group, classifier in self.classifiers.items():
            z_q, z_p, context = pairs[group]
            logits = lambda z: tf.squeeze(classifier(z if context is None else [z, context]), -1)
            logit_q, logit_p = logits(tf.stop_gradient(z_q)), logits(tf.stop_gradient(z_p))
            loss = (tf.reduce_mean(tf.math.softplus(-logit_q))
                    + tf.reduce_mean(tf.math.softplus(logit_p)))
            accuracy = 0.5 * (tf.reduce_mean(tf.cast(logit_q > 0, loss.dtype))
                              + tf.reduce_mean(tf.cast(logit_p < 0, loss.dtype)))
            results[group] = (loss, accuracy)
        return results

    def call(self, x):
        """The summed classification loss on `x`, `[]` nats."""
        return tf.add_n([loss for loss, _ in self.group_losses(x, self._seed(1)).values()])

    def _seed(self, stream):
        seed = tf.constant([self.seed, stream], tf.int64)
        return zoo_random.fold_in(seed, self.optimizer.iterations) if stream == 0 else seed

    @property
    def metrics(self):
        return [self.loss_tracker] + [m for pair in self.group_trackers.values() for m in pair]

    def _record(self, losses):
        self.loss_tracker.update_state(tf.add_n([loss for loss, _ in losses.values()]))
        for group, (loss, accuracy) in losses.items():
            self.group_trackers[group][0].update_state(loss)
            self.group_trackers[group][1].update_state(accuracy)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        x = data[0] if isinstance(data, (tuple, list)) else data
        variables = [v for c in self.classifier_layers for v in c.trainable_variables]
        with tf.GradientTape() as tape:
            losses = self.group_losses(x, self._seed(0))
            total = tf.add_n([loss for loss, _ in losses.values()])
        self.optimizer.apply_gradients(zip(tape.gradient(total, variables), variables))
        return self._record(losses)

    def test_step(self, data):
        x = data[0] if isinstance(data, (tuple, list)) else data
        return self._record(self.group_losses(x, self._seed(1)))
