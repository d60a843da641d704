"""The VampPrior paper's ConvHVAE and PixelHVAE: the two-level model with gated convolutions."""

import math

from zoo import likelihoods, priors
from zoo.models.hierarchical_vae import HierarchicalVAE
from zoo.networks.gated_conv import GatedConvNet
from zoo.networks.gated_mlp import GatedMLP
from zoo.networks.joint_gated_mlp import JointGatedMLP
from zoo.networks.sequence import Sequence, ToImage
from zoo.posteriors.diagonal_gaussian import DiagonalGaussianPosterior

__all__ = ["build_gated_conv_hvae"]


def build_gated_conv_hvae(input_shape=(28, 28, 1), latent_dim=40, hidden_units=(300, 300),
                          prior="standard", prior_config=None, likelihood="bernoulli",
                          log_var_range=(-6.0, 2.0), posterior="gaussian", posterior_config=None,
                          seed=None):
    """Builds (and builds the weights of) the ConvHVAE, or with a PixelCNN likelihood the PixelHVAE.

    As in the paper's code (`models/convHVAE_2level.py`, `PixelHVAE_2level.py`):
        q(z2 | x):      gated convs, channels 32-32-64-64-6, kernels 7-3-5-3-3,
                        strides 1-2-1-2-1 (28 x 28 -> 294 features) -> (mu, clip(log var))
        q(z1 | x, z2):  [x -> the same stack with 3x3 kernels; z2 -> GatedDense(294)]
                        -> GatedDense(300) -> (mu, clip(log var))
        p(z1 | z2):     z2 -> GatedDense(300) -> GatedDense(300) -> (mu, clip(log var))
        p(x | z1, z2):  [z1 -> GatedDense(300); z2 -> GatedDense(300)] -> GatedDense(784)
                        -> 28 x 28 x 1 -> four 3x3 gated convs of 64 channels -> per-pixel head
        PixelHVAE:      the same without the four convs: the 28 x 28 map conditions the
                        PixelCNN likelihood (`likelihood="pixelcnn_bernoulli"`).
    "same" padding throughout (PyTorch's symmetric padding puts the stride-2
    sampling grid one pixel off from Keras's; the sizes are the same).

    Arguments as in `build_gated_mlp_hvae`; `posterior` must be "gaussian".

    Returns:
        A built `HierarchicalVAE`.
    """
    if posterior != "gaussian":
        raise ValueError(f"The two-level HVAE has diagonal Gaussian posteriors only; got "
                         f"posterior={posterior!r}.")
    del posterior_config
    seed_of = lambda k: None if seed is None else seed + k
    width = (int(hidden_units[-1]),)
    gaussian = lambda name, k: DiagonalGaussianPosterior(
        latent_dim, log_var_range=log_var_range, seed=seed_of(k), name=name)
    channels, strides = (32, 32, 64, 64, 6), (1, 2, 1, 2, 1)
    x_branch = GatedConvNet(channels, (3, 3, 3, 3, 3), strides, name="x_branch")
    features = x_branch.compute_output_shape((None,) + tuple(input_shape))[-1]
    decoder_layers = [JointGatedMLP((1, 1), width, (math.prod(input_shape),),
                                    name="decoder_joint"),
                      ToImage(input_shape, name="to_image")]
    if not likelihood.startswith("pixelcnn"):
        decoder_layers.append(GatedConvNet((64,) * 4, (3,) * 4, flatten=False,
                                           name="decoder_convs"))
    model = HierarchicalVAE(
        encoder=GatedConvNet(channels, (7, 3, 5, 3, 3), strides, name="encoder"),
        posterior=gaussian("posterior", 1),
        bottom_encoder=JointGatedMLP(
            (len(input_shape), 1), joint_units=width, name="bottom_encoder",
            branches=[x_branch, GatedMLP((features,), input_rank=1, name="z2_branch")]),
        bottom_posterior=gaussian("bottom_posterior", 5),
        conditional_prior_encoder=GatedMLP(hidden_units, input_rank=1,
                                           name="conditional_prior_encoder"),
        conditional_prior=gaussian("conditional_prior", 6),
        prior=priors.build_prior(prior, (latent_dim,), prior_config,
                                 input_shape=input_shape, name="prior", seed=seed_of(4)),
        decoder=Sequence(decoder_layers, name="decoder"),
        likelihood=likelihoods.LIKELIHOODS.get(likelihood)(
            input_shape, seed=seed_of(2), name="likelihood"),
        seed=seed_of(3))
    model.build((None,) + tuple(input_shape))
    return model
