"""Mixture-of-Gaussians prior and VampPrior log densities against scipy."""

import keras
import numpy as np
import pytest
import scipy.special
import scipy.stats
import tensorflow as tf

from zoo import priors


def _scipy_mixture_log_prob(z, loc, scale, log_weights):
    """log sum_k w_k N(z; loc_k, diag scale_k^2), z: [..., D]."""
    comps = scipy.stats.norm.logpdf(z[..., None, :], loc, scale).sum(-1)  # [..., K]
    return scipy.special.logsumexp(comps + log_weights, axis=-1)


@pytest.mark.parametrize("trainable_mixture_weights", [False, True])
def test_mog_log_prob_matches_scipy(trainable_mixture_weights):
    prior = priors.MixtureOfGaussiansPrior((3,), num_components=4,
                                           trainable_mixture_weights=trainable_mixture_weights)
    prior.build(None)
    rng = np.random.RandomState(0)
    prior.log_scales.assign(0.3 * rng.randn(4, 3))
    prior.logits.assign(rng.randn(4))
    z = rng.randn(5, 6, 3).astype(np.float32)
    expected = _scipy_mixture_log_prob(
        z, prior.means.numpy(), np.exp(prior.log_scales.numpy()),
        scipy.special.log_softmax(prior.logits.numpy()))
    np.testing.assert_allclose(prior.log_prob(z).numpy(), expected, rtol=1e-5, atol=1e-5)
    trainable = {w.name for w in prior.trainable_weights}
    assert trainable == ({"means", "log_scales", "logits"} if trainable_mixture_weights
                         else {"means", "log_scales"})


def _linear_encoder(input_dim, latent_dim, seed=0):
    """A stand-in for a model's encoder: loc = u A, scale = exp(u B - 1)."""
    rng = np.random.RandomState(seed)
    a = rng.randn(input_dim, latent_dim).astype(np.float32)
    b = 0.5 * rng.randn(input_dim, latent_dim).astype(np.float32)

    def encode(u):
        u = tf.reshape(u, [tf.shape(u)[0], input_dim])
        return tf.matmul(u, a), tf.exp(tf.matmul(u, b) - 1.0)

    def numpy_encode(u):
        u = u.reshape(len(u), input_dim)
        return u @ a, np.exp(u @ b - 1.0)

    return encode, numpy_encode


@pytest.mark.parametrize("trainable_mixture_weights", [False, True])
def test_vamp_log_prob_is_logsumexp_of_posteriors_at_pseudo_inputs(trainable_mixture_weights):
    prior = priors.VampPrior((2,), pseudo_input_shape=(2, 3), num_components=5,
                             trainable_mixture_weights=trainable_mixture_weights)
    encode, numpy_encode = _linear_encoder(6, 2)
    prior.attach_encoder(encode)
    prior.build(None)
    rng = np.random.RandomState(1)
    prior.pseudo_inputs.assign(rng.uniform(-0.5, 1.5, size=(5, 2, 3)))  # some outside [0, 1]
    if trainable_mixture_weights:
        prior.logits.assign(rng.randn(5))
    z = rng.randn(4, 7, 2).astype(np.float32)
    loc, scale = numpy_encode(np.clip(prior.pseudo_inputs.numpy(), 0.0, 1.0))
    log_weights = (scipy.special.log_softmax(prior.logits.numpy())
                   if trainable_mixture_weights else np.full(5, -np.log(5)))
    expected = _scipy_mixture_log_prob(z, loc, scale, log_weights)
    np.testing.assert_allclose(prior.log_prob(z).numpy(), expected, rtol=1e-5, atol=1e-5)
    # Uniform weights stay uniform: the logits are not trained then.
    assert ("logits" in {w.name for w in prior.trainable_weights}) == trainable_mixture_weights


def test_vamp_pseudo_inputs_initialisation_and_data_variant():
    learned = priors.VampPrior((2,), pseudo_input_shape=(784,), num_components=500)
    learned.build(None)
    u = learned.pseudo_inputs.numpy()
    assert abs(u.mean() - 0.05) < 1e-3 and abs(u.std() - 0.01) < 1e-3
    assert learned.initialization_examples == 0 and learned.pseudo_inputs.trainable

    data = priors.VampPrior((2,), pseudo_input_shape=(2, 2), num_components=3,
                            pseudo_inputs_kind="data")
    data.build(None)
    assert data.initialization_examples == 3 and not data.pseudo_inputs.trainable
    x = np.random.RandomState(0).randint(0, 2, size=(8, 2, 2)).astype(np.float32)
    data.initialize_from_data(x, z=None)
    np.testing.assert_array_equal(data.pseudo_inputs.numpy(), x[:3])
    with pytest.raises(ValueError, match="needs 3 examples of shape"):
        data.initialize_from_data(x[:2], z=None)


def test_vamp_errors_are_clear():
    prior = priors.VampPrior((2,), pseudo_input_shape=(4,), num_components=3)
    prior.build(None)
    with pytest.raises(ValueError, match="has no encoder"):
        prior.log_prob(np.zeros((1, 2), np.float32))
    with pytest.raises(ValueError, match="pseudo_inputs_kind must be one of"):
        priors.VampPrior((2,), pseudo_input_shape=(4,), pseudo_inputs_kind="random")


def test_registry_builds_from_typed_configs():
    mog = priors.build_prior("mog", (3,), priors.MixtureOfGaussiansPriorConfig(num_components=7))
    assert isinstance(mog, priors.MixtureOfGaussiansPrior) and mog.num_components == 7
    vamp = priors.build_prior("vamp", (3,), input_shape=(5,))
    assert vamp.num_components == 500 and vamp.pseudo_input_shape == (5,)
    with pytest.raises(ValueError, match="needs the data's input_shape"):
        priors.build_prior("vamp", (3,))
    with pytest.raises(TypeError, match="takes a RealNVPPriorConfig; got MAFPriorConfig"):
        priors.build_prior("realnvp", (3,), priors.MAFPriorConfig())
    with pytest.raises(KeyError, match="Known priors: maf, mog, realnvp, standard, vamp"):
        priors.build_prior("vampire", (3,))
    assert priors.prior_config_from_dict("maf", {"hidden_units": [8, 8]}) == \
        priors.MAFPriorConfig(hidden_units=(8, 8))
    with pytest.raises(ValueError, match="Unknown options \\['depth'\\]"):
        priors.prior_config_from_dict("realnvp", {"depth": 3})


def test_layer_config_round_trip():
    for prior in [priors.MixtureOfGaussiansPrior((3,), num_components=4, seed=5),
                  priors.VampPrior((3,), pseudo_input_shape=(2, 2), num_components=4,
                                   pseudo_inputs_kind="data", trainable_mixture_weights=True)]:
        clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(prior))
        assert type(clone) is type(prior) and clone.get_config() == prior.get_config()



def test_vamp_stores_its_arguments_under_their_names_and_reads_the_old_option_name():
    prior = priors.VampPrior((3,), pseudo_input_shape=(2,), num_components=4,
                             pseudo_inputs_kind="data", init_std=0.5)
    config = prior.get_config()
    for name in ("num_components", "pseudo_inputs_kind", "trainable_mixture_weights",
                 "init_mean", "init_std"):
        assert getattr(prior, name) == config[name], name
    # Saved before the rename ("pseudo_inputs" was the kind; it is now the weight).
    config["pseudo_inputs"] = config.pop("pseudo_inputs_kind")
    assert priors.VampPrior.from_config(config).pseudo_inputs_kind == "data"
    assert priors.prior_config_from_dict("vamp", {"pseudo_inputs": "data"}) == \
        priors.VampPriorConfig(pseudo_inputs_kind="data")


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))
