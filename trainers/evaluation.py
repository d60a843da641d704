"""Test-set evaluation of a trained model, written as `evaluation.json`."""

import os
import time

import numpy as np

from trainers import pipelines
from zoo import datasets, evaluation, files

__all__ = ["PER_EXAMPLE_FILE", "evaluate_test_set", "write_evaluation", "write_per_example"]

# Beside evaluation.json: the per-example values behind its means (`trainers.compare`).
PER_EXAMPLE_FILE = "test_log_likelihoods.npz"


def evaluate_test_set(model, test_images, batch_size, num_samples, chunk_size,
                      num_examples=None, seed=0, progress=False):
    """ELBO over the whole test set and IS log-likelihood over (a subset of) it.

    Args:
        model: a trained `VAE`.
        test_images: float32 `[N, H, W, C]` in {0, 1}.
        batch_size: examples per evaluation batch.
        num_samples: importance samples per example.
        chunk_size: importance samples evaluated at once.
        num_examples: log-likelihood on `RandomState(0).permutation(N)[:k]`
            (None: all N, in order).
        seed: seeds the posterior samples.
        progress: report the progress of both passes (`zoo.progress`).

    Returns:
        `(results, per_example)`: a JSON-ready dict, all values in nats per
        example (means over examples); and the per-example arrays of the
        log-likelihood subset, `index` (into `test_images`),
        `log_likelihood` and `elbo` (single-sample), with `num_samples`, for
        paired comparisons (`trainers.compare`).
    """
    start = time.time()
    elbo = evaluation.elbo_over_dataset(
        model, pipelines.eval_dataset(test_images, batch_size), seed=seed,
        progress="Test ELBO" if progress else None)
    subset = datasets.test_subset(len(test_images), num_examples)
    images = test_images[subset]
    log_likelihood = evaluation.log_likelihood_over_dataset(
        model, pipelines.eval_dataset(images, batch_size), num_samples=num_samples,
        chunk_size=chunk_size, seed=seed + 1,
        progress=f"Test log-likelihood (S = {num_samples})" if progress else None)
    # The IS estimate and the single-sample ELBO of the same examples, per batch.
    elbo_subset = elbo["elbo"][subset]
    batch_gaps = [np.mean(log_likelihood[i:i + batch_size] - elbo_subset[i:i + batch_size])
                  for i in range(0, len(images), batch_size)]
    num_dims = int(np.prod(test_images.shape[1:]))
    ll = float(np.mean(log_likelihood))
    results = {
        "test_log_likelihood": ll,
        "test_log_likelihood_stderr": float(np.std(log_likelihood) / np.sqrt(len(images))),
        "test_nll_bits_per_dim": float(evaluation.nats_to_bits_per_dim(-ll, num_dims)),
        "log_likelihood_num_samples": int(num_samples),
        "log_likelihood_num_examples": int(len(images)),
        "log_likelihood_examples": "all" if len(images) == len(test_images) else (
            datasets.TEST_SUBSET_RULE.replace("(N)", f"({len(test_images)})")
            .replace("[:k]", f"[:{len(images)}]")),
        "test_elbo": float(np.mean(elbo["elbo"])),
        "test_reconstruction": float(np.mean(elbo["log_px_z"])),
        "test_kl": float(np.mean(elbo["kl"])),
        "elbo_num_examples": int(len(test_images)),
        "log_likelihood_above_elbo_on_every_batch": bool(min(batch_gaps) > 0),
        "units": "nats per example (log-likelihoods; higher is better)",
        "evaluation_seconds": time.time() - start,
    }
    return results, dict(index=subset, log_likelihood=log_likelihood, elbo=elbo_subset,
                         num_samples=np.int64(num_samples))


def write_evaluation(workdir, results):
    """Writes `<workdir>/evaluation.json` atomically and returns its path."""
    path = os.path.join(workdir, "evaluation.json")
    files.write_json_atomically(path, results)
    return path


def write_per_example(workdir, per_example):
    """Writes `evaluate_test_set`'s per-example arrays to `<workdir>/test_log_likelihoods.npz`."""
    path = os.path.join(workdir, PER_EXAMPLE_FILE)
    files.write_npz_atomically(path, **per_example)
    return path
