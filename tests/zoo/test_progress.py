"""Progress of long evaluations: lines off a terminal, nothing without a label."""

import io

import numpy as np
import pytest
import tensorflow as tf

from tests.tiny_models import IMAGE_SHAPE, tiny_vae
from zoo import evaluation


def test_off_a_terminal_each_update_is_a_line_with_the_time_left():
    stream = io.StringIO()
    items = list(evaluation.with_progress(range(5), "Scoring", 5, stream=stream, interval=0.0))
    assert items == list(range(5))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 5 and lines[0].startswith("Scoring: 1/5 batches, ")
    assert "s left" in lines[0] and lines[-1].startswith("Scoring: 5/5 batches, ")
    assert "left" not in lines[-1]


def test_lines_are_throttled_but_the_first_and_last_always_come():
    stream = io.StringIO()
    list(evaluation.with_progress(range(50), "Scoring", 50, stream=stream, interval=3600))
    assert [line.split(",")[0] for line in stream.getvalue().splitlines()] == [
        "Scoring: 1/50 batches", "Scoring: 50/50 batches"]


def test_an_evaluation_reports_its_batches_only_when_asked(capsys):
    model = tiny_vae("standard")
    x = (np.random.RandomState(0).rand(30, *IMAGE_SHAPE) > 0.5).astype(np.float32)
    dataset = tf.data.Dataset.from_tensor_slices(x).batch(10)
    quiet = evaluation.log_likelihood_over_dataset(model, dataset, num_samples=4, seed=1)
    assert capsys.readouterr().err == ""
    loud = evaluation.log_likelihood_over_dataset(model, dataset, num_samples=4, seed=1,
                                                  progress="Test log-likelihood")
    err = capsys.readouterr().err
    assert "Test log-likelihood: 1/3 batches" in err and "Test log-likelihood: 3/3" in err
    np.testing.assert_array_equal(quiet, loud)


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))
