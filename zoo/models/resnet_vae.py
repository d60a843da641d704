"""ResNet VAEs: Xu et al.'s ResnetVAE, ConvVAE and PixelVAE, VLAE's and the IAF paper's, LED's."""

from zoo.models.vae_assembly import assemble_vae
from zoo.networks.resnet import ResNetDecoder, ResNetEncoder

__all__ = ["build_resnet_vae", "resnet_layout"]


def resnet_layout(stage_channels, layout):
    """Residual blocks (channels, strides) of the encoder and of the decoder.

    "stages" (Xu et al.'s ResnetVAE, `tfsnippet/examples/auto_encoders/
    vae_conv.py`): one block per resolution stage at full size, then two per
    further stage, the first halving the size; the decoder mirrors it with
    transposed blocks. Stage channels (16, 32, 64) give
        encoder 16-32-32-64-64, strides 1-2-1-2-1  (28 x 28 -> 7 x 7 x 64)
        decoder 64-32-32-16,    strides 1-2-1-2    (7 x 7 -> 28 x 28 x 16).
    "strided" (Huang et al.'s ResConv): one stride-2 block per stage. The
    decoder starts at 1 / 2^(n - 1) of the size with a stride-1 block of the
    last stage's channels, then goes through the other stages in reverse at
    stride 2. Stage channels (16, 32, 32) give
        encoder 16-32-32, strides 2-2-2  (28 x 28 -> 4 x 4 x 32)
        decoder 32-32-16, strides 1-2-2  (7 x 7 -> 28 x 28 x 16).

    Returns:
        `((encoder_channels, encoder_strides), (decoder_channels, decoder_strides))`.
    """
    stages = tuple(int(c) for c in stage_channels)
    if not stages:
        raise ValueError("A ResNet needs at least one stage of channels.")
    if layout == "stages":
        encoder = [(stages[0], 1)] + [b for c in stages[1:] for b in ((c, 2), (c, 1))]
        reverse = stages[::-1]
        decoder = [(reverse[0], 1)] + [b for i, c in enumerate(reverse[1:], 1)
                                       for b in ((c, 2),) + (((c, 1),) if i < len(stages) - 1
                                                              else ())]
    elif layout == "strided":
        encoder = [(c, 2) for c in stages]
        decoder = [(stages[-1], 1)] + [(c, 2) for c in stages[-2::-1]]
    else:
        raise ValueError(f"Unknown ResNet layout {layout!r}; use 'stages' or 'strided'.")
    unzip = lambda blocks: (tuple(c for c, _ in blocks), tuple(s for _, s in blocks))
    return unzip(encoder), unzip(decoder)


def build_resnet_vae(input_shape=(28, 28, 1), latent_dim=40, hidden_units=(16, 32, 64),
                     prior="standard", prior_config=None, likelihood="bernoulli",
                     log_var_range=(-6.0, 2.0), posterior="gaussian", posterior_config=None,
                     seed=None, layout="stages", activation="leaky_relu", dense_units=(),
                     residual=True):
    """Builds (and builds the weights of) a ResNet VAE.

    encoder: x -> residual blocks -> act -> flatten [-> Dense -> act] -> posterior
    decoder: z [-> Dense -> act] -> Dense -> small map -> transposed residual
             blocks -> act -> [H, W, 16] features -> the likelihood's 1x1
             projection (Bernoulli logits, or the PixelCNN's conditioning maps)

    Pre-activation blocks of two 3x3 convolutions (`zoo.networks.ResidualBlock`).
    Not done: the papers' normalization (Xu et al.'s batch norm in the
    encoder; the weight normalization with data-dependent initialization of
    the IAF paper and VLAE: Keras 3 has neither weight normalization nor
    data-dependent initialization).

    Args:
        hidden_units: the channels of each resolution stage (`resnet_layout`).
        layout: "stages" or "strided" (`resnet_layout`).
        activation: of every block and dense layer (Xu et al.: leaky ReLU in the
            decoder; the IAF paper, VLAE and LED: ELU).
        dense_units: dense layers between the feature map and the latent
            (LED: one of 450), in the encoder and the decoder.
        residual: residual blocks, or plain convolutions (Xu et al.'s ConvVAE:
            one 3x3 convolution per block of the same layout).
        Others as in `build_gated_mlp_vae`.

    Returns:
        A built `VAE`.
    """
    (encoder_channels, encoder_strides), (decoder_channels, decoder_strides) = resnet_layout(
        hidden_units, layout)
    return assemble_vae(
        encoder=ResNetEncoder(encoder_channels, encoder_strides, dense_units, activation,
                              residual, name="encoder"),
        decoder=ResNetDecoder(input_shape, decoder_channels, decoder_strides, dense_units,
                              activation, residual, name="decoder"),
        input_shape=input_shape, latent_dim=latent_dim, prior=prior, prior_config=prior_config,
        likelihood=likelihood, log_var_range=log_var_range, posterior=posterior,
        posterior_config=posterior_config, seed=seed)
