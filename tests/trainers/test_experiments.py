"""Named experiments: the learned-prior rows differ from the standard one only in the prior."""

import copy
import dataclasses
import json
import math

import pytest
from absl import flags

from trainers import experiments, train
from trainers.config import config_from_dict
from zoo import datasets, likelihoods, priors

PRIOR_EXPERIMENTS = {
    "vae_mog_static_mnist": ("mog", priors.MixtureOfGaussiansPriorConfig(num_components=500)),
    "vae_vamp_static_mnist": ("vamp", priors.VampPriorConfig(num_components=500)),
    "vae_vamp_data_static_mnist": ("vamp", priors.VampPriorConfig(pseudo_inputs_kind="data")),
    "vae_realnvp20_static_mnist": ("realnvp", priors.RealNVPPriorConfig(num_blocks=20)),
    "vae_maf4_static_mnist": ("maf", priors.MAFPriorConfig(num_steps=4,
                                                          hidden_units=(640, 640, 640),
                                                          shift_only=True)),
}


@pytest.mark.parametrize("name", sorted(PRIOR_EXPERIMENTS))
def test_prior_experiments_change_only_the_prior(name):
    standard = experiments.get_experiment("vae_standard_static_mnist")
    config = experiments.get_experiment(name)
    prior, prior_config = PRIOR_EXPERIMENTS[name]
    assert config.name == name
    assert (config.model.prior, config.model.prior_config) == (prior, prior_config)
    assert dataclasses.replace(config.model, prior="standard", prior_config=None) == \
        standard.model
    assert (config.data, config.train) == (standard.data, standard.train)
    # The workdir's config.json round trip gives back the same typed config.
    assert config_from_dict(json.loads(config.to_json())) == config


HVAE_EXPERIMENTS = {
    "hvae_standard_static_mnist": ("standard", priors.StandardNormalPriorConfig(), 86.05),
    "hvae_mog_static_mnist": ("mog", priors.MixtureOfGaussiansPriorConfig(num_components=500),
                              85.07),
    "hvae_vamp_data_static_mnist": ("vamp", priors.VampPriorConfig(pseudo_inputs_kind="data"),
                                    85.71),
    "hvae_vamp_static_mnist": ("vamp", priors.VampPriorConfig(num_components=500), 83.19),
}


@pytest.mark.parametrize("name", sorted(HVAE_EXPERIMENTS))
def test_hvae_experiments_are_the_vae_settings_on_the_two_level_model(name):
    standard = experiments.get_experiment("vae_standard_static_mnist")
    config = experiments.get_experiment(name)
    prior, prior_config, paper_nll = HVAE_EXPERIMENTS[name]
    assert config.model.architecture == "gated_mlp_hvae" and config.paper_nll == paper_nll
    assert (config.model.prior, config.model.prior_config) == (prior, prior_config)
    assert dataclasses.replace(config.model, architecture="gated_mlp", prior="standard",
                               prior_config=None) == standard.model
    assert (config.data, config.train) == (standard.data, standard.train)
    assert config_from_dict(json.loads(config.to_json())) == config


CONV_EXPERIMENTS = {
    "convhvae_standard_static_mnist": ("hvae_standard_static_mnist", "bernoulli", 82.41),
    "convhvae_vamp_static_mnist": ("hvae_vamp_static_mnist", "bernoulli", 81.09),
    "pixelhvae_standard_static_mnist": ("hvae_standard_static_mnist", "pixelcnn_bernoulli", 80.58),
    "pixelhvae_vamp_static_mnist": ("hvae_vamp_static_mnist", "pixelcnn_bernoulli", 79.78),
}


@pytest.mark.parametrize("name", sorted(CONV_EXPERIMENTS))
def test_conv_and_pixel_hvae_experiments_change_only_the_networks(name):
    hvae_name, likelihood, paper_nll = CONV_EXPERIMENTS[name]
    hvae = experiments.get_experiment(hvae_name)
    config = experiments.get_experiment(name)
    assert config.model == dataclasses.replace(hvae.model, architecture="gated_conv_hvae",
                                               likelihood=likelihood)
    # Trained without XLA, as every convolutional model (see the next test).
    assert config.train == dataclasses.replace(hvae.train, jit_compile=False)
    assert (config.data, config.paper_nll) == (hvae.data, paper_nll)


def test_exactly_the_convolutional_models_train_without_xla():
    convolutional = set()
    for name in experiments.EXPERIMENTS.names():
        config = experiments.get_experiment(name)
        if not config.train.jit_compile:
            convolutional.add(config.model.architecture)
        assert config.train.jit_compile == (config.model.architecture in {
            "gated_mlp", "gated_mlp_hvae", "tanh_mlp", "relu_mlp"}), name
    assert convolutional == experiments.CONVOLUTIONAL


XU_DENSE_BASES = {
    "dense_vae_standard": "vae_standard_static_mnist",
    "dense_vae_standard_realnvp20_posterior": "dense_vae_standard_realnvp20_posterior_static_mnist",
    "dense_vae_realnvp20": "vae_realnvp20_static_mnist"}
OTHER_DATASET_ROWS = {
    **{f"{stem}_dynamic_mnist": f"{stem}_static_mnist" for stem in (
        "vae_standard", "vae_vamp", "hvae_standard", "hvae_vamp", "convhvae_standard",
        "convhvae_vamp", "pixelhvae_standard", "pixelhvae_vamp")},
    **{f"{stem}_{suffix}": base for stem, base in XU_DENSE_BASES.items()
       for suffix in ("dynamic_mnist", "fashion_mnist")},
}


@pytest.mark.parametrize("name", sorted(OTHER_DATASET_ROWS))
def test_other_dataset_rows_change_only_the_dataset_and_latent_size(name):
    config = experiments.get_experiment(name)
    base = experiments.get_experiment(OTHER_DATASET_ROWS[name])
    fashion = name.endswith("fashion_mnist")
    assert config.data == dataclasses.replace(
        base.data, name="fashion_mnist" if fashion else "dynamic_mnist")
    assert config.model == dataclasses.replace(base.model, latent_dim=64 if fashion else 40)
    assert config.train == base.train
    assert f"{config.paper_nll:.2f}" in config.description


def _resolve(argv):
    flag_values = flags.FlagValues()
    for flag in flags.FLAGS.get_flags_for_module(train):
        if flag.name != "workdir":       # required, and not part of the config
            fresh = copy.deepcopy(flag)  # each call parses from the defaults
            fresh.unparse()
            flag_values[flag.name] = fresh
    flag_values(["train"] + argv)
    return train.resolve_config(flag_values)


def test_the_posterior_experiment_changes_only_the_posterior():
    from zoo import posteriors

    base = experiments.get_experiment("vae_standard_static_mnist")
    config = experiments.get_experiment("dense_vae_standard_realnvp20_posterior_static_mnist")
    assert config.model == dataclasses.replace(
        base.model, posterior="realnvp",
        posterior_config=posteriors.RealNVPPosteriorConfig(num_blocks=20, hidden_units=(256,)))
    assert (config.data, config.train, config.paper_nll) == (base.data, base.train, 86.07)
    # The config survives its JSON form (as saved in a workdir).
    assert config_from_dict(json.loads(config.to_json())) == config


def test_training_option_flags_override_the_experiment():
    config = _resolve(["--experiment=hvae_vamp_static_mnist", "--beta=4", "--free_bits=0.5",
                       "--clip_norm=10", "--max_consecutive_nonfinite=3",
                       "--steps_per_execution=7"])
    train_config = config.train
    assert (train_config.beta, train_config.free_bits, train_config.clip_norm) == (4.0, 0.5, 10.0)
    assert (train_config.max_consecutive_nonfinite, train_config.steps_per_execution) == (3, 7)
    default = _resolve(["--experiment=hvae_vamp_static_mnist"]).train
    assert (default.beta, default.free_bits, default.clip_norm) == (1.0, 0.0, None)
    assert (default.ema_momentum, default.free_bits_per_data_dim) == (None, 0.0)
    vlae_style = _resolve(["--experiment=vae_standard_static_mnist", "--optimizer=adamax",
                           "--learning_rate=0.002", "--ema_momentum=0.998",
                           "--free_bits_per_data_dim=0.01"]).train
    assert (vlae_style.optimizer, vlae_style.ema_momentum, vlae_style.free_bits_per_data_dim) == (
        "adamax", 0.998, 0.01)
    with pytest.raises(ValueError, match="not both"):
        _resolve(["--experiment=vae_standard_static_mnist", "--free_bits=1",
                  "--free_bits_per_data_dim=0.01"])


def test_the_gated_convolutions_dtype_is_a_training_setting_checked_when_configured():
    assert _resolve(["--experiment=convhvae_vamp_static_mnist"]).train.gated_conv_dtype == "float32"
    config = _resolve(["--experiment=convhvae_vamp_static_mnist", "--gated_conv_dtype=bfloat16"])
    assert config.train.gated_conv_dtype == "bfloat16"
    assert config_from_dict(json.loads(config.to_json())) == config
    with pytest.raises(ValueError, match="gated_conv_dtype must be one of"):
        dataclasses.replace(config.train, gated_conv_dtype="float16")
    with pytest.raises(flags.IllegalFlagValueError):
        _resolve(["--experiment=convhvae_vamp_static_mnist", "--gated_conv_dtype=float16"])


def test_prior_flag_overrides_any_experiment_with_that_priors_defaults():
    config = _resolve(["--experiment=vae_vamp_static_mnist", "--prior=realnvp", "--epochs=3"])
    assert config.model.prior == "realnvp"
    assert config.model.prior_config == priors.RealNVPPriorConfig()
    assert config.train.epochs == 3
    same = _resolve(["--experiment=vae_vamp_data_static_mnist", "--prior=vamp"])
    assert same.model.prior_config.pseudo_inputs_kind == "data"   # same prior: config kept
    with pytest.raises(KeyError, match="Known priors: maf, mog, realnvp, standard, vamp"):
        _resolve(["--experiment=vae_standard_static_mnist", "--prior=gauss"])



def _prior_token(model):
    config = model.prior_config
    if model.prior == "vamp":
        return "vamp_data" if config.pseudo_inputs_kind == "data" else "vamp"
    depth = {"realnvp": "num_blocks", "maf": "num_steps"}.get(model.prior)
    return model.prior + (str(getattr(config, depth)) if depth else "")


def _posterior_token(model):
    if model.posterior == "gaussian":
        return ""
    depth = {"realnvp": "num_blocks", "iaf": "num_steps"}[model.posterior]
    return f"_{model.posterior}{getattr(model.posterior_config, depth)}_posterior"


def test_every_name_states_its_prior_flows_and_dataset():
    # {model}_{prior}[_{posterior}_posterior]_{dataset}, flows with their depth.
    for row in experiments.ROWS:
        config = row.config()
        suffix = f"_{_prior_token(config.model)}{_posterior_token(config.model)}_{config.data.name}"
        assert config.name.endswith(suffix) and len(config.name) > len(suffix), config.name
        assert config.description.startswith(
            f"{experiments.PAPERS[row.paper]}, {row.where}, {row.row}, "), config.name
    assert len({row.name for row in experiments.ROWS}) == len(experiments.ROWS)


def test_every_experiments_likelihood_models_its_datasets_pixels():
    for name in experiments.EXPERIMENTS.names():
        config = experiments.get_experiment(name)
        pixels = datasets.DATASETS.get(config.data.name).pixels
        likelihoods.check_likelihood_fits(config.model.likelihood, pixels)   # Raises if not.


@pytest.mark.parametrize("name,bits_per_dim,image_dims", [
    ("vae_standard_frey_faces", 4.63, 28 * 20), ("vae_vamp_frey_faces", 4.57, 28 * 20),
    ("hvae_vamp_histopathology", 5.75, 28 * 28), ("convhvae_standard_histopathology", 5.59,
                                                  28 * 28)])
def test_gray_rows_state_the_papers_bits_per_dim_and_the_same_value_in_nats(
        name, bits_per_dim, image_dims):
    config = experiments.get_experiment(name)
    assert config.paper_bits_per_dim == bits_per_dim
    assert config.paper_nll == pytest.approx(bits_per_dim * image_dims * math.log(2), rel=1e-12)
    assert config.model.likelihood == "discretized_logistic"
    assert f"test NLL {bits_per_dim:.2f} bits/dim" in config.description
    # It survives the workdir's JSON.
    assert config_from_dict(json.loads(config.to_json())) == config


def test_the_vampprior_papers_other_datasets_take_its_table_1_settings():
    base = experiments.get_experiment("hvae_vamp_static_mnist")
    omniglot = experiments.get_experiment("hvae_vamp_omniglot")
    assert omniglot.paper_nll == 101.18 and omniglot.data.name == "omniglot"
    assert omniglot.model.prior_config.num_components == 1000    # Sec. 5.1: 1000 on Omniglot
    assert dataclasses.replace(omniglot.model, prior_config=base.model.prior_config) == base.model
    assert omniglot.train == base.train
    caltech = experiments.get_experiment("pixelhvae_vamp_caltech101_silhouettes")
    assert caltech.paper_nll == 86.22 and caltech.model.likelihood == "pixelcnn_bernoulli"
    assert caltech.model.prior_config.num_components == 500
    # No gray-level PixelCNN head: the PixelHVAE rows of the gray datasets are not registered.
    assert "pixelhvae_standard_frey_faces" not in experiments.EXPERIMENTS
    assert experiments.get_experiment("vlae_maf4_omniglot").paper_nll == 90.98
    assert experiments.get_experiment("resnet_vae_realnvp20_omniglot").model.latent_dim == 64


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))
