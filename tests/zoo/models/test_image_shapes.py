"""Every architecture takes any image shape it can, or refuses it naming the constraint."""

import sys

import numpy as np
import pytest

from zoo.errors import ImageShapeError
from zoo.models import ARCHITECTURES, ModelConfig, build_model

# Tiny widths: the conv and ResNet builders read `hidden_units` as stage channels.
WIDTHS = {"gated_mlp": (16,), "gated_mlp_hvae": (16,), "tanh_mlp": (16,), "relu_mlp": (16,),
          "gated_conv_hvae": (16,), "resnet": (4, 8), "conv": (4, 8), "resnet_elu": (4, 8),
          "resconv": (4, 8, 8)}


def test_the_table_covers_every_architecture():
    assert sorted(WIDTHS) == ARCHITECTURES.names()


@pytest.mark.parametrize("shape", [(28, 20, 1), (32, 32, 3)])
@pytest.mark.parametrize("architecture", sorted(WIDTHS))
def test_the_architecture_models_images_of_the_shape(architecture, shape):
    likelihood = "discretized_logistic" if shape[-1] == 3 else "bernoulli"
    model = build_model(ModelConfig(architecture=architecture, latent_dim=3,
                                    hidden_units=WIDTHS[architecture], likelihood=likelihood),
                        shape, seed=0)
    x = np.random.RandomState(0).randint(0, 2, (2,) + shape).astype("float32")
    terms = model.elbo_terms(x, seed=1)
    assert terms.elbo.shape == (2,) and np.all(np.isfinite(terms.elbo.numpy()))
    # A density over all H x W x C values: log p(x | z) sums one term per value.
    assert model.likelihood.num_dims == np.prod(shape)
    samples = model.sample(3, seed=2)
    assert samples["x"].shape == (3,) + shape and samples["mean"].shape == (3,) + shape


def test_the_pixelcnn_decoder_takes_binary_images_of_any_size():
    model = build_model(ModelConfig(architecture="gated_mlp", latent_dim=3, hidden_units=(16,),
                                    likelihood="pixelcnn_bernoulli"), (12, 20, 1), seed=0)
    x = np.random.RandomState(0).randint(0, 2, (2, 12, 20, 1)).astype("float32")
    assert model.elbo_terms(x, seed=1).elbo.shape == (2,)
    assert model.sample(2, seed=2)["x"].shape == (2, 12, 20, 1)


@pytest.mark.parametrize("architecture,hidden,likelihood,shape,message", [
    ("resnet", (4, 8, 8), "bernoulli", (30, 30, 1),
     "resnet with the bernoulli likelihood on 30 x 30 x 1 images: height and width must be "
     "divisible by 4 (the decoder's strides (1, 2, 1, 2) upsample by 4); got 30 x 30."),
    ("resconv", (4, 8, 8), "bernoulli", (30, 30, 1),
     "resconv with the bernoulli likelihood on 30 x 30 x 1 images: height and width must be "
     "divisible by 4 (the decoder's strides (1, 2, 2) upsample by 4); got 30 x 30."),
    ("gated_mlp", (16,), "pixelcnn_bernoulli", (32, 32, 3),
     "gated_mlp with the pixelcnn_bernoulli likelihood on 32 x 32 x 3 images: the PixelCNN "
     "likelihood models one-channel images [H, W, 1]; got event_shape (32, 32, 3)."),
])
def test_a_shape_the_architecture_cannot_take_names_the_constraint(architecture, hidden,
                                                                  likelihood, shape, message):
    with pytest.raises(ImageShapeError) as error:
        build_model(ModelConfig(architecture=architecture, latent_dim=3, hidden_units=hidden,
                                likelihood=likelihood), shape, seed=0)
    assert str(error.value) == message


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
