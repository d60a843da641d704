"""Shared test setup: quiet TensorFlow, the programs' oneDNN kernels, the root on sys.path."""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The kernels the zoo's programs run (zoo/programs.py), on every CPU; before TensorFlow loads.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _fixed_seeds():
    """Every test starts from the same Python, NumPy, TF and Keras seeds."""
    import keras
    keras.utils.set_random_seed(0)


def pytest_collection_modifyitems(config, items):
    """Bazel's test sharding (a target's `shard_count`): shard i of n runs tests i, i + n, ...

    Bazel sets TEST_TOTAL_SHARDS and TEST_SHARD_INDEX, and asks through
    TEST_SHARD_STATUS_FILE that the runner confirm it shards. Without them
    (plain pytest) every test runs.
    """
    total = int(os.environ.get("TEST_TOTAL_SHARDS", "1"))
    if total <= 1:
        return
    index = int(os.environ["TEST_SHARD_INDEX"])
    if os.environ.get("TEST_SHARD_STATUS_FILE"):
        open(os.environ["TEST_SHARD_STATUS_FILE"], "a").close()
    config.hook.pytest_deselected(items=[t for k, t in enumerate(items) if k % total != index])
    items[:] = items[index::total]
