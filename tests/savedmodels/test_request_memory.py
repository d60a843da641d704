"""A `log_likelihood` request's peak memory does not grow with its batch: the export
evaluates it `batch_slice` (100) images at a time. Measured as the peak RSS of fresh
processes that load the export and answer one request (the paper's gated MLP VAE)."""

import json
import os
import subprocess
import sys

import pytest

from savedmodels import export

# One request in a fresh interpreter; prints its peak RSS in MB (Linux: ru_maxrss in KB).
REQUEST = """
import json, resource, sys
import numpy as np
import tensorflow as tf
path, batch, samples = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
log_likelihood = tf.saved_model.load(path).signatures["log_likelihood"]
x = (np.random.RandomState(0).rand(batch, 28, 28, 1) > 0.7).astype(np.float32)
out = log_likelihood(x=x, num_samples=tf.constant(samples))["log_likelihood"].numpy()
assert out.shape == (batch,) and np.all(np.isfinite(out))
print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
"""


@pytest.fixture(scope="module")
def paper_sized_export(tmp_path_factory):
    from zoo.models import build_gated_mlp_vae
    model = build_gated_mlp_vae(seed=0)   # 28 x 28, 2 x 300 gated units, z = 40
    return export.export_model(model, str(tmp_path_factory.mktemp("exports")), "vae")


def _peak_rss_mb(path, batch, samples):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", REQUEST, path, str(batch), str(samples)],
                            env=dict(env, TF_CPP_MIN_LOG_LEVEL="2"), capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_peak_memory_of_a_log_likelihood_request_does_not_grow_with_its_batch(
        paper_sized_export):
    # One chunk of 100 samples: unsliced, 1,000 images would hold [100, 1000, 784] logits
    # (314 MB) and [100, 1000, 300] activations (120 MB each) at once.
    small = _peak_rss_mb(paper_sized_export, 100, 100)
    large = _peak_rss_mb(paper_sized_export, 1000, 100)
    assert large - small < 100, (small, large)


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))
