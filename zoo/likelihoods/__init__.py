"""Likelihoods p(x | z): decoder heads with `log_prob(x, features)`, `mean`, `sample`."""

import functools

from zoo.errors import ConfigError
from zoo.likelihoods.bernoulli import BernoulliLikelihood
from zoo.likelihoods.discretized_logistic import (
    DiscretizedLogisticMixtureLikelihood,
    log_discretized_logistic,
)
from zoo.likelihoods.gaussian import GaussianLikelihood
from zoo.likelihoods.likelihood import Likelihood
from zoo.likelihoods.pixelcnn_bernoulli import PixelCNNBernoulliLikelihood
from zoo.registry import Registry

__all__ = ["LIKELIHOODS", "BernoulliLikelihood", "DiscretizedLogisticMixtureLikelihood",
           "GaussianLikelihood", "Likelihood", "PixelCNNBernoulliLikelihood",
           "check_likelihood_fits", "log_discretized_logistic"]

LIKELIHOODS = Registry("likelihood", hint="import zoo.likelihoods")
LIKELIHOODS.register("bernoulli")(BernoulliLikelihood)
LIKELIHOODS.register("gaussian")(GaussianLikelihood)
LIKELIHOODS.register("discretized_logistic")(DiscretizedLogisticMixtureLikelihood)
# PixelCNN++ uses 10 components for colour images; 5 per gray level is the zoo's default.
LIKELIHOODS.register("discretized_logistic_mixture")(
    functools.partial(DiscretizedLogisticMixtureLikelihood, num_components=5))
# PixelCNN decoders for binary images: the VampPrior paper's PixelHVAE (8 masked 3x3 layers of
# 64 channels) and VLAE's small receptive field (6 layers of 12 filters in residual blocks,
# conditioned on 4 feature maps; VLAE also ties the masked layers' weights, which this does not).
LIKELIHOODS.register("pixelcnn_bernoulli")(PixelCNNBernoulliLikelihood)
LIKELIHOODS.register("pixelcnn_bernoulli_vlae")(functools.partial(
    PixelCNNBernoulliLikelihood, num_layers=6, filters=12, residual=True,
    conditioning_channels=4))


def check_likelihood_fits(name, pixels):
    """Refuses (`ConfigError`, with the reason) a likelihood that does not model `pixels`.

    Args:
        name: a name of `LIKELIHOODS`.
        pixels: one of `zoo.datasets.PIXELS`.
    """
    modelled = _modelled_pixels(name)
    if pixels in modelled:
        return
    fitting = [n for n in LIKELIHOODS.names() if pixels in _modelled_pixels(n)]
    what = {"binary": "values 0 and 1", "dynamic": "gray levels binarized to 0 and 1 every epoch",
            "gray": "8-bit gray levels k / 255"}[pixels]
    models = ("real values (a density, not the probability of a pixel value)" if not modelled
              else " and ".join(modelled) + " pixels")
    raise ConfigError(f"The likelihood {name!r} models {models}; the data has {pixels} pixels "
                      f"({what}). Use --likelihood={' or '.join(fitting)}.")


def _modelled_pixels(name):
    """The `pixels` of the likelihood class registered as `name` (some are partials)."""
    builder = LIKELIHOODS.get(name)
    return getattr(builder, "func", builder).pixels
