"""Every named experiment builds and trains one step on synthetic data of its dataset's shape.

The widths are made tiny through the training program's own overrides
(`--latent_dim`, `--hidden_units`), and flows (prior and posterior) get 2
blocks or steps and mixture priors 10 components: a step of a 50-block flow
runs the same code as one of 2 blocks (the experiments' depths are checked in
test_experiments.py). Everything else is the experiment's: architecture, prior,
posterior, likelihood, optimizer.
"""

import copy
import dataclasses
import sys

import numpy as np
import pytest
from absl import flags

from trainers import experiments, train, training
from zoo import datasets


def _resolve(argv):
    flag_values = flags.FlagValues()
    for flag in flags.FLAGS.get_flags_for_module(train):
        if flag.name != "workdir":
            fresh = copy.deepcopy(flag)
            fresh.unparse()
            flag_values[flag.name] = fresh
    flag_values(["train"] + argv)
    return train.resolve_config(flag_values)


TINY_WIDTHS = dict(latent_dim=4, hidden_units=(16,))    # what the overrides below set
TINY_SIZES = dict(num_blocks=2, num_steps=2, num_components=10)


def _tiny_sizes(part_config):
    """A prior's or posterior's config with the `TINY_SIZES` of the fields it has."""
    fields = {f.name for f in dataclasses.fields(part_config)}
    return dataclasses.replace(part_config, **{k: v for k, v in TINY_SIZES.items() if k in fields})


def _tiny(model):
    return dataclasses.replace(model, prior_config=_tiny_sizes(model.prior_config),
                               posterior_config=_tiny_sizes(model.posterior_config))


def _trained_setup(name):
    """What one training step exercises: the model at the tiny sizes, the data shape and the
    optimizer."""
    config = experiments.get_experiment(name)
    return (_tiny(dataclasses.replace(config.model, **TINY_WIDTHS)),
            datasets.DATASETS.get(config.data.name).image_shape, config.train.optimizer)


# One experiment per distinct setup: rows that differ only in the dataset's name (dynamic
# against static MNIST, FashionMNIST against MNIST, the same model in two papers' tables) or in
# the widths the test overrides train the same step.
REPRESENTATIVES = {}
for _name in sorted(experiments.EXPERIMENTS.names()):
    REPRESENTATIVES.setdefault(repr(_trained_setup(_name)), _name)


def test_every_experiment_has_a_representative_with_its_setup():
    names = experiments.EXPERIMENTS.names()
    assert len(names) >= 30 and len(REPRESENTATIVES) < len(names)
    for name in names:
        representative = REPRESENTATIVES[repr(_trained_setup(name))]
        assert _trained_setup(representative) == _trained_setup(name)


@pytest.mark.parametrize("name", sorted(REPRESENTATIVES.values()))
def test_the_experiment_trains_one_step(name):
    config = _resolve([f"--experiment={name}", "--latent_dim=4", "--hidden_units=16"])
    config = dataclasses.replace(config, model=_tiny(config.model))
    assert config.model == _trained_setup(name)[0]
    assert config.model.architecture == experiments.get_experiment(name).model.architecture
    shape = datasets.DATASETS.get(config.data.name).image_shape
    model = training.compiled_model(config, shape, jit_compile=False)
    rng = np.random.RandomState(0)
    x = (rng.rand(8, *shape) > 0.7).astype("float32")
    if model.initialization_examples:
        model.initialize_from_data(
            (rng.rand(model.initialization_examples, *shape) > 0.7).astype("float32"))
    before = [w.numpy().copy() for w in model.trainable_weights]
    history = model.fit(x, epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert any(not np.array_equal(b, w.numpy()) for b, w in zip(before, model.trainable_weights))
    assert model.optimizer.iterations.numpy() == 1


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
