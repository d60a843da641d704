"""Bazel's test sharding in tests/conftest.py: each shard runs its share, all shards run all."""

import sys
import types

import pytest

from tests import conftest


def _shard(monkeypatch, tmp_path, total, index):
    monkeypatch.setenv("TEST_TOTAL_SHARDS", str(total))
    monkeypatch.setenv("TEST_SHARD_INDEX", str(index))
    monkeypatch.setenv("TEST_SHARD_STATUS_FILE", str(tmp_path / "status"))
    deselected = []
    config = types.SimpleNamespace(hook=types.SimpleNamespace(
        pytest_deselected=lambda items: deselected.extend(items)))
    items = [f"test_{k}" for k in range(10)]
    conftest.pytest_collection_modifyitems(config, items)
    return items, deselected


def test_each_shard_runs_every_nth_test_and_confirms_it_shards(monkeypatch, tmp_path):
    shards = [_shard(monkeypatch, tmp_path, 4, i) for i in range(4)]
    assert shards[1] == (["test_1", "test_5", "test_9"],
                         [f"test_{k}" for k in (0, 2, 3, 4, 6, 7, 8)])
    assert sorted(t for selected, _ in shards for t in selected) == sorted(
        f"test_{k}" for k in range(10))
    assert (tmp_path / "status").exists()


def test_without_bazel_every_test_runs(monkeypatch, tmp_path):
    monkeypatch.delenv("TEST_TOTAL_SHARDS", raising=False)
    config = types.SimpleNamespace(hook=None)
    items = ["a", "b"]
    conftest.pytest_collection_modifyitems(config, items)
    assert items == ["a", "b"]


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
