"""Paired comparison of evaluated workdirs: the differences, their errors, and refusals."""

import json
import os
import sys

import numpy as np
import pytest

from trainers import compare
from trainers.evaluation import PER_EXAMPLE_FILE


def _workdir(root, name, log_likelihood, index, num_samples=100, dataset="static_mnist"):
    workdir = os.path.join(str(root), name)
    os.makedirs(workdir)
    with open(os.path.join(workdir, "evaluation.json"), "w") as f:
        json.dump(dict(experiment=name, dataset=dataset), f)
    np.savez(os.path.join(workdir, PER_EXAMPLE_FILE), index=index,
             log_likelihood=log_likelihood, elbo=log_likelihood - 3.0, num_samples=num_samples)
    return workdir


def test_the_paired_difference_and_its_error_are_those_of_the_per_image_differences(tmp_path):
    rng = np.random.RandomState(0)
    index = rng.permutation(500)[:200]
    difficulty = rng.normal(-90.0, 20.0, size=200)            # shared by both models
    a = difficulty + rng.normal(0.0, 1.0, size=200)
    b = difficulty + 0.7 + rng.normal(0.0, 1.0, size=200)
    workdirs = [_workdir(tmp_path, "a", a, index), _workdir(tmp_path, "b", b, index)]
    base, other = compare.compare_workdirs(workdirs)
    assert base["is_baseline"] and (base["difference"], base["difference_stderr"]) == (0, 0)
    assert other["log_likelihood"] == pytest.approx(b.mean())
    assert other["stderr"] == pytest.approx(b.std() / np.sqrt(200))
    assert other["difference"] == pytest.approx((b - a).mean())
    assert other["difference_stderr"] == pytest.approx((b - a).std() / np.sqrt(200))
    # Pairing removes the images' spread: the difference is resolved, the means alone are not.
    assert other["difference_stderr"] < other["stderr"] / 10
    assert abs(other["difference"] - 0.7) < 3 * other["difference_stderr"]

    table = compare.format_table(compare.compare_workdirs(workdirs, baseline=workdirs[1]))
    assert table.splitlines()[2].startswith(f"| a | {a.mean():.2f} ± ")
    assert table.splitlines()[2].endswith(f"| {(a - b).mean():+.2f} ± "
                                          f"{(a - b).std() / np.sqrt(200):.2f} |")
    assert table.splitlines()[3].endswith("| baseline |")


def test_evaluations_that_cannot_be_paired_are_refused(tmp_path):
    index = np.arange(10)
    ll = np.zeros(10)
    base = _workdir(tmp_path, "base", ll, index)
    with pytest.raises(ValueError, match="different test images"):
        compare.compare_workdirs([base, _workdir(tmp_path, "other_images", ll, index + 1)])
    with pytest.raises(ValueError, match="num_samples=5000"):
        compare.compare_workdirs([base, _workdir(tmp_path, "more", ll, index, num_samples=5000)])
    with pytest.raises(ValueError, match="dataset='dynamic_mnist'"):
        compare.compare_workdirs([base, _workdir(tmp_path, "dyn", ll, index,
                                                 dataset="dynamic_mnist")])
    with pytest.raises(ValueError, match="is not one of the workdirs"):
        compare.compare_workdirs([base], baseline="elsewhere")
    old = str(tmp_path / "old")
    os.makedirs(old)
    with pytest.raises(FileNotFoundError, match="trainers.evaluate --workdir="):
        compare.compare_workdirs([base, old])


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
