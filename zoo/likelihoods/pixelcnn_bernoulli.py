"""A PixelCNN decoder head for binary images: autoregressive Bernoulli pixels given features."""

import keras
import tensorflow as tf

from zoo import random as zoo_random
from zoo.building import ensure_built
from zoo.errors import ImageShapeError
from zoo.likelihoods.bernoulli import BernoulliLikelihood
from zoo.networks.pixelcnn import PixelCNN

__all__ = ["PixelCNNBernoulliLikelihood"]


@keras.saving.register_keras_serializable(package="zoo")
class PixelCNNBernoulliLikelihood(BernoulliLikelihood):
    """p(x | z) = prod_i Bernoulli(x_i; sigmoid(l_i)),  l = PixelCNN([x, c(z)]).

    The decoder's features are projected to `conditioning_channels` maps of
    the image's size, c(z) (a dense projection of flat features, a 1x1
    convolution of spatial ones: the `Likelihood` projection), concatenated
    with x and fed to a `PixelCNN`, whose output pixel i sees x_<i only. So
    log p(x | z) is exact in one pass, and sampling takes one pass per pixel
    (`H * W` passes, in a `tf.while_loop`).

    There is no closed-form mean: `mean(features)` and `parameters(features)`
    are the probabilities and logits along one ancestral sample drawn with a
    fixed stateless seed (0), so they are deterministic (exported `decode`).

    Args:
        event_shape: `(H, W, 1)`; one channel.
        num_layers, filters, kernel_size, residual: the `PixelCNN`'s.
        conditioning_channels: maps of c(z).
        seed: of the layer's `SeedGenerator` (`sample` without a seed).
    """

    def __init__(self, event_shape, num_layers=8, filters=64, kernel_size=3, residual=False,
                 conditioning_channels=1, seed=None, **kwargs):
        kwargs.setdefault("params_per_dim", int(conditioning_channels))
        super().__init__(event_shape, seed=seed, **kwargs)
        if len(self.event_shape) != 3 or self.event_shape[-1] != 1:
            raise ImageShapeError(f"the PixelCNN likelihood models one-channel images "
                                  f"[H, W, 1]; got event_shape {self.event_shape}.")
        self.conditioning_channels = int(conditioning_channels)
        self.pixelcnn = PixelCNN(num_layers, filters, kernel_size, residual, outputs=1,
                                 name="pixelcnn")

    def build(self, features_shape):
        super().build(features_shape)
        height, width, _ = self.event_shape
        ensure_built(self.pixelcnn, (None, height, width, 1 + self.conditioning_channels))

    def _conditioning(self, features):
        """c(z): `[N, H, W, conditioning_channels]` and the leading shape `[...]` of N."""
        maps = self.params(features)                               # [..., H, W, 1, c]
        lead = tf.shape(maps)[:-4]
        height, width, _ = self.event_shape
        return tf.reshape(maps, [-1, height, width, self.conditioning_channels]), lead

    def _logits_given(self, x, conditioning):
        return self.pixelcnn(tf.concat([x, conditioning], axis=-1))

    def log_prob(self, x, features):
        conditioning, lead = self._conditioning(features)
        x = tf.cast(x, conditioning.dtype)
        x = tf.reshape(tf.broadcast_to(x, tf.concat([lead, self.event_shape], 0)),
                       tf.concat([[-1], self.event_shape], 0))
        log_p = -self._sum_event(tf.nn.sigmoid_cross_entropy_with_logits(
            labels=x, logits=self._logits_given(x, conditioning)))
        return tf.reshape(log_p, lead)

    def _ancestral(self, features, seed):
        """One sample, pixel by pixel in raster order, and the logits each pixel was drawn with."""
        conditioning, lead = self._conditioning(features)
        height, width, _ = self.event_shape
        shape = tf.concat([tf.shape(conditioning)[:1], self.event_shape], 0)
        uniform = tf.random.stateless_uniform(shape, seed, dtype=conditioning.dtype)

        def body(i, x, logits):
            out = self._logits_given(x, conditioning)
            here = tf.reshape(tf.one_hot(i, height * width, dtype=x.dtype),
                              [1, height, width, 1])
            bits = tf.cast(uniform < tf.sigmoid(out), x.dtype)
            return i + 1, x + here * bits, logits + here * out

        zeros = tf.zeros(shape, conditioning.dtype)
        _, x, logits = tf.while_loop(lambda i, *_: i < height * width, body,
                                     (tf.constant(0), zeros, zeros))
        restore = lambda t: tf.reshape(t, tf.concat([lead, self.event_shape], 0))
        return restore(x), restore(logits)

    def sample(self, features, seed=None):
        return self._ancestral(features, zoo_random.as_seed(seed, self.seed_generator))[0]

    def logits(self, features):
        """The logits along the fixed-seed ancestral sample (see the class docstring)."""
        return self._ancestral(features, tf.constant([0, 0], tf.int64))[1]

    def mean(self, features):
        return tf.sigmoid(self.logits(features))

    def get_config(self):
        config = super().get_config()
        config.update(num_layers=self.pixelcnn.num_layers, filters=self.pixelcnn.filters,
                      kernel_size=self.pixelcnn.kernel_size, residual=self.pixelcnn.residual,
                      conditioning_channels=self.conditioning_channels)
        return config
