"""The zoo's layers and models compute in float32 under any global Keras dtype policy: built,
loaded, trained and evaluated under "mixed_float16" or "mixed_bfloat16" they give what they
give under "float32", to the bit."""

import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.tiny_models import IMAGE_SHAPE, LATENT_DIM, TINY_PRIORS, tiny_vae
from zoo import priors
from zoo.models import VAE, ModelConfig, build_model
from zoo.networks.gated_dense import GatedDense

MIXED = ["mixed_float16", "mixed_bfloat16"]
SHAPE = (8, 8, 1)
# One model of every architecture, and the likelihood and posterior that add layers.
CONFIGS = {
    "gated_mlp_hvae": ModelConfig(architecture="gated_mlp_hvae", latent_dim=3, hidden_units=(8,)),
    "gated_conv_hvae": ModelConfig(architecture="gated_conv_hvae", latent_dim=3,
                                   hidden_units=(8,), prior="vamp",
                                   prior_config=priors.VampPriorConfig(num_components=4)),
    "pixelhvae": ModelConfig(architecture="gated_conv_hvae", latent_dim=3, hidden_units=(8,),
                             likelihood="pixelcnn_bernoulli"),
    "tanh_mlp": ModelConfig(architecture="tanh_mlp", latent_dim=3, hidden_units=(8,)),
    "resnet": ModelConfig(architecture="resnet", latent_dim=3, hidden_units=(4, 8)),
    "resconv_logistic": ModelConfig(architecture="resconv", latent_dim=3, hidden_units=(4, 8, 8),
                                    likelihood="discretized_logistic"),
    "iaf_posterior": ModelConfig(latent_dim=3, hidden_units=(8,), posterior="iaf"),
}


@pytest.fixture
def policy():
    """Sets the global dtype policy for the test's body; restores the previous one after."""
    previous = keras.mixed_precision.global_policy()
    yield keras.mixed_precision.set_global_policy
    keras.mixed_precision.set_global_policy(previous)


def _images(n, shape=IMAGE_SHAPE, seed=0):
    return (np.random.RandomState(seed).rand(n, *shape) > 0.6).astype(np.float32)


def _same_model_under(policy, name, build):
    """(the model built under `policy`, the same weights under float32)."""
    policy(name)
    model = build()
    policy("float32")
    reference = build()
    reference.set_weights(model.get_weights())
    return model, reference


def _assert_computes_as_float32(model, reference, x):
    assert {w.dtype for w in model.weights} <= {"float32", "int32"}   # int32: permutations
    assert model.compute_dtype == "float32"
    terms, expected = model.elbo_terms(x, seed=3), reference.elbo_terms(x, seed=3)
    assert terms.elbo.dtype == tf.float32
    np.testing.assert_array_equal(terms.elbo.numpy(), expected.elbo.numpy())
    np.testing.assert_array_equal(model.log_likelihood(x, num_samples=6, seed=4).numpy(),
                                  reference.log_likelihood(x, num_samples=6, seed=4).numpy())


@pytest.mark.parametrize("prior", sorted(TINY_PRIORS))
@pytest.mark.parametrize("name", MIXED)
def test_every_prior_computes_in_float32_under_a_mixed_policy(policy, name, prior):
    model, reference = _same_model_under(policy, name, lambda: tiny_vae(prior))
    _assert_computes_as_float32(model, reference, _images(5))


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_every_architecture_computes_in_float32_under_a_mixed_policy(policy, config):
    model, reference = _same_model_under(
        policy, "mixed_bfloat16", lambda: build_model(CONFIGS[config], SHAPE, seed=0))
    x = _images(3, SHAPE)
    if CONFIGS[config].likelihood == "discretized_logistic":
        x = np.floor(x * 255.0) / 255.0
    _assert_computes_as_float32(model, reference, x)


def test_a_training_step_under_a_mixed_policy_is_the_float32_step(policy):
    model, reference = _same_model_under(policy, "mixed_float16", lambda: tiny_vae("vamp"))
    x = _images(20)
    policy("mixed_float16")
    for m in (model, reference):
        m.compile(optimizer=keras.optimizers.Adam(1e-3))
        m.fit(x, batch_size=10, epochs=1, shuffle=False, verbose=0)
    assert not isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    for mine, theirs in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(mine, theirs)


def test_a_prior_in_a_mixed_precision_model_answers_in_float32(policy):
    """Keras casts the caller's bfloat16 codes to float32 at the prior, which answers as it
    does for those values in float32."""
    policy("mixed_bfloat16")
    prior = priors.build_prior("realnvp", (LATENT_DIM,), TINY_PRIORS["realnvp"], seed=0)
    codes = keras.layers.Dense(LATENT_DIM)(tf.ones([4, 2]))
    assert codes.dtype == tf.bfloat16
    log_pz = prior(codes)
    assert log_pz.dtype == tf.float32
    expected = prior(tf.cast(codes, tf.float32)).numpy()
    np.testing.assert_array_equal(log_pz.numpy(), expected)
    np.testing.assert_array_equal(prior.log_prob(codes).numpy(), expected)


@pytest.mark.parametrize("preset",
                         ["hvae_vamp_static_mnist", "lars_vae_standard_dynamic_mnist_ncp"])
def test_a_shipped_preset_loads_and_evaluates_under_a_mixed_policy(policy, preset):
    x = _images(3, (28, 28, 1))
    policy("mixed_bfloat16")
    mixed = VAE.from_preset(preset)
    policy("float32")
    reference = VAE.from_preset(preset)
    np.testing.assert_array_equal(mixed.log_likelihood(x, num_samples=8, seed=0).numpy(),
                                  reference.log_likelihood(x, num_samples=8, seed=0).numpy())


def test_a_16_bit_dtype_for_a_zoo_layer_is_refused_by_name():
    with pytest.raises(ValueError, match=r"GatedDense computes in float32 .* got dtype policy "
                                         r"'mixed_bfloat16'"):
        GatedDense(4, dtype="mixed_bfloat16")
    assert GatedDense(4, dtype="float32").dtype_policy.name == "float32"


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
