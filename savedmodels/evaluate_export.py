"""Evaluates an export through its `log_likelihood` signature alone, as a client would.

    python -m savedmodels.evaluate_export \
        --export_dir=savedmodels/pretrained/vae_standard_static_mnist/1 \
        --data_dir=../shared/data [--num_samples=1000] [--num_examples=N] [--batch_size=100]

Loads the export with `tf.saved_model.load` (no model code of this project), reads
the test split of the dataset its metadata names, and prints (and returns) the
mean IS log-likelihood with its standard error, the mean ELBO from the same
samples, and the importance samples per second. Comparing the figure with the
one recorded at export time checks the export end to end.
"""

import time

import numpy as np
import tensorflow as tf

from savedmodels.export import ExportError, read_metadata
from zoo import programs
from zoo.errors import exits_on_user_error

__all__ = ["evaluate_export"]


def evaluate_export(export_dir, data_dir, num_samples=1000, num_examples=None, batch_size=100,
                    progress=None):
    """Test-set figures of an export, in nats per example.

    Args:
        num_examples: the test images `RandomState(0).permutation(N)[:num_examples]`,
            the subset the training evaluation uses (None: all, in order).
        progress: a label to report progress under (`zoo.progress`).

    Returns:
        A dict: test_log_likelihood, its stderr, test_elbo, num_samples,
        num_examples, seconds, samples_per_second, and the recorded metrics.
    """
    from zoo import datasets
    from zoo.evaluation import nats_to_bits_per_dim
    from zoo.progress import with_progress

    metadata = read_metadata(export_dir)
    dataset = metadata.get("dataset")
    if dataset is None:
        raise ExportError(f"{export_dir} records no dataset; it was not exported from a workdir.")
    test = datasets.load_splits(dataset, data_dir, pixels=metadata.get("pixels")).test
    test = test[datasets.test_subset(len(test), num_examples)]
    log_likelihood = tf.saved_model.load(export_dir).signatures["log_likelihood"]
    count = tf.constant(num_samples, tf.int32)
    start = time.time()
    starts = range(0, len(test), batch_size)
    parts = [log_likelihood(x=tf.constant(test[i:i + batch_size], tf.float32), num_samples=count)
             for i in with_progress(starts, progress, len(starts))]
    seconds = time.time() - start
    ll = np.concatenate([p["log_likelihood"].numpy() for p in parts])
    elbo = np.concatenate([p["elbo"].numpy() for p in parts])
    return {
        "test_log_likelihood": float(ll.mean()),
        "test_log_likelihood_stderr": float(ll.std(ddof=1) / np.sqrt(len(ll))),
        "test_nll_bits_per_dim": float(nats_to_bits_per_dim(-ll.mean(), test[0].size)),
        "test_elbo": float(elbo.mean()), "num_samples": num_samples, "num_examples": len(ll),
        "seconds": seconds, "samples_per_second": len(ll) * num_samples / seconds,
        "recorded_metrics": metadata.get("metrics"),
    }


@exits_on_user_error("savedmodels.evaluate_export")
def main(argv):
    del argv
    from absl import flags

    values = flags.FLAGS
    results = evaluate_export(values.export_dir, values.data_dir, values.num_samples,
                              values.num_examples, values.batch_size,
                              progress=f"Test log-likelihood (S = {values.num_samples})")
    programs.print_results(results)


if __name__ == "__main__":
    from absl import app, flags

    flags.DEFINE_string("export_dir", None, "An export's version folder.", required=True)
    flags.DEFINE_string("data_dir", None, "Folder with <dataset>.npz.", required=True)
    flags.DEFINE_integer("num_samples", 1000, "Importance samples per image.")
    flags.DEFINE_integer("num_examples", None,
                         "Test images RandomState(0).permutation(N)[:k] (default: all).")
    flags.DEFINE_integer("batch_size", 100, "Images per request.")
    app.run(main)
