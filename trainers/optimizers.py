"""Optimizers of the papers, by name.

`adam_norm_grad` is the VampPrior code's AdamNormGrad: Adam fed each weight
tensor's gradient divided by its L2 norm (Tomczak & Welling 2018, Sec. 5.1:
"ADAM with normalized gradients"). Keras has per-tensor clipping (`clipnorm`),
which only shrinks large gradients; normalization rescales every gradient to
norm 1, so it is written here, as a one-line change to Keras's Adam step.
"""

import keras
import tensorflow as tf

from zoo.registry import Registry

__all__ = ["AdamNormGrad", "OPTIMIZERS", "build_optimizer"]


@keras.saving.register_keras_serializable(package="zoo")
class AdamNormGrad(keras.optimizers.Adam):
    """Adam on per-tensor normalized gradients: g <- g / (||g||_2 + 1e-7).

    The defaults (epsilon 1e-8) follow the VampPrior code; Keras's Adam update
    m / (sqrt(v) + eps) with lr * sqrt(1 - b2^t) / (1 - b1^t) is the same
    formula as that code's.

    #### References
    Yu et al. Block-Normalized Gradient Method. https://arxiv.org/abs/1707.04822
    """

    def __init__(self, learning_rate=0.001, epsilon=1e-8, **kwargs):
        super().__init__(learning_rate=learning_rate, epsilon=epsilon, **kwargs)

    def update_step(self, gradient, variable, learning_rate):
        gradient = gradient / (tf.norm(gradient) + 1e-7)
        super().update_step(gradient, variable, learning_rate)


OPTIMIZERS = Registry("optimizer", hint="import trainers.optimizers")
OPTIMIZERS.register("adam")(keras.optimizers.Adam)
OPTIMIZERS.register("adam_norm_grad")(AdamNormGrad)


def build_optimizer(name, learning_rate, clip_norm=None):
    """The optimizer `name`; `clip_norm` clips the gradients to that global L2 norm first.

    Clipping uses Keras's `global_clipnorm`, applied before the update step; with
    `adam_norm_grad` each tensor is normalized afterwards anyway, so clipping
    changes nothing there but a non-finite norm.
    """
    kwargs = {} if clip_norm is None else {"global_clipnorm": float(clip_norm)}
    return OPTIMIZERS.get(name)(learning_rate=learning_rate, **kwargs)
