"""savedmodels.reexport: the next version answers exactly as the old one, from its own
Keras model, and nothing is written when they disagree."""

import os

import numpy as np
import pytest
import tensorflow as tf

from savedmodels import export
from savedmodels.reexport import reexport
from zoo.models import ModelConfig, build_model
from zoo.posteriors import IAFPosteriorConfig

IMAGE_SHAPE = (4, 4, 1)


def _iaf_vae(seed):
    config = ModelConfig(latent_dim=3, hidden_units=(8,), posterior="iaf",
                         posterior_config=IAFPosteriorConfig(2, (8,)))
    model = build_model(config, IMAGE_SHAPE, seed=seed)
    # Trained-looking weights: the IAF's zero-initialised output layers would make
    # every MADE mask irrelevant to the answers.
    rng = np.random.RandomState(seed)
    for weight in model.trainable_weights:
        weight.assign(0.3 * rng.randn(*weight.shape).astype(np.float32))
    return model


@pytest.fixture
def exported(tmp_path):
    metadata = {"dataset": "static_mnist", "paper_nll": 88.71,
                "metrics": {"test_log_likelihood": -90.18}, "training": {"epochs_trained": 7}}
    return export.export_model(_iaf_vae(seed=0), str(tmp_path), "iaf", metadata=metadata)


def test_the_next_version_keeps_the_metadata_and_every_answer(exported):
    path = reexport(exported)
    assert path == os.path.join(os.path.dirname(exported), "2")
    old, new = export.read_metadata(exported), export.read_metadata(path)
    assert new["version"] == 2 and new["name"] == "iaf"
    for key in ("dataset", "paper_nll", "metrics", "training", "limits", "model"):
        assert new[key] == old[key]
    assert new["reexported_from"]["version"] == 1
    assert new["reexported_from"]["exported_at"] == old["exported_at"]
    first, second = tf.saved_model.load(exported), tf.saved_model.load(path)
    x = (np.random.RandomState(1).rand(4, *IMAGE_SHAPE) > 0.6).astype(np.float32)
    request = {"x": x, "num_samples": tf.constant(30)}
    for signature, inputs in [("encode", {"x": x}), ("log_likelihood", request)]:
        a, b = first.signatures[signature](**inputs), second.signatures[signature](**inputs)
        for key in a:
            np.testing.assert_allclose(b[key], a[key], rtol=1e-6, atol=1e-5)


def test_a_model_that_answers_differently_writes_nothing(exported):
    # Another model in the older exports' whole .keras file, in place of the export's own.
    os.remove(os.path.join(exported, export.KERAS_CONFIG))
    _iaf_vae(seed=5).save(os.path.join(exported, export.KERAS_MODEL))
    with pytest.raises(ValueError, match="answers encode/loc differently"):
        reexport(exported)
    assert sorted(os.listdir(os.path.dirname(exported))) == ["1"]


def test_an_export_without_its_keras_model_is_a_clear_error(exported):
    os.remove(os.path.join(exported, export.KERAS_CONFIG))
    with pytest.raises(export.ExportError, match="ships no assets.extra/keras_model.json"):
        reexport(exported)


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))
