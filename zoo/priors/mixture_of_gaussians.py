"""Mixture-of-Gaussians prior with trainable components (Tomczak & Welling 2018, Sec. 3.2)."""

import dataclasses

import keras
import tensorflow as tf

from zoo.priors.diagonal_gaussian_mixture import DiagonalGaussianMixture
from zoo.priors.prior import Prior

__all__ = ["MixtureOfGaussiansPrior", "MixtureOfGaussiansPriorConfig"]


@dataclasses.dataclass(frozen=True)
class MixtureOfGaussiansPriorConfig:
    """Attributes:
        num_components: K.
        trainable_mixture_weights: learn the mixture weights (else uniform, 1/K).
        init_scale: standard deviation of the initial component means, which
            are drawn from N(0, init_scale^2); the initial scales are 1.
    """

    num_components: int = 500
    trainable_mixture_weights: bool = False
    init_scale: float = 1.0


@keras.saving.register_keras_serializable(package="zoo")
class MixtureOfGaussiansPrior(Prior):
    """p(z) = sum_k w_k N(z; mu_k, diag(sigma_k^2)) over a flat latent `[D]`.

    Weights: `means [K, D]`, `log_scales [K, D]` (trainable), and
    `logits [K]` (trainable only with `trainable_mixture_weights`;
    w = softmax(logits)).
    Built on `tfd.MixtureSameFamily`.
    """

    def __init__(self, latent_shape, num_components=500,
                 trainable_mixture_weights=False, init_scale=1.0, **kwargs):
        super().__init__(latent_shape, **kwargs)
        if self.event_rank != 1:
            raise ValueError(f"MixtureOfGaussiansPrior needs a flat latent; got {latent_shape}.")
        self.num_components = int(num_components)
        self.trainable_mixture_weights = bool(trainable_mixture_weights)
        self.init_scale = float(init_scale)

    def build(self, input_shape):
        shape = (self.num_components, self.latent_shape[0])
        self.means = self.add_weight(
            shape=shape, name="means",
            initializer=keras.initializers.RandomNormal(stddev=self.init_scale, seed=self.seed))
        self.log_scales = self.add_weight(shape=shape, name="log_scales", initializer="zeros")
        self.logits = self.add_weight(shape=(self.num_components,), name="logits",
                                      initializer="zeros",
                                      trainable=self.trainable_mixture_weights)

    def build_distribution(self):
        return DiagonalGaussianMixture(tf.convert_to_tensor(self.means),
                                         tf.exp(self.log_scales),
                                         tf.convert_to_tensor(self.logits))

    def get_config(self):
        config = super().get_config()
        config.update(num_components=self.num_components,
                      trainable_mixture_weights=self.trainable_mixture_weights,
                      init_scale=self.init_scale)
        return config
