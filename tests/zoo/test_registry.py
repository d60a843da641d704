"""The name registry."""

import pytest

from zoo.registry import Registry


def test_registry_refuses_duplicates_and_lists_known_names():
    reg = Registry("widget", hint="import widgets")
    reg.register("a")(int)
    assert reg.get("a") is int and "a" in reg and reg.names() == ["a"]
    with pytest.raises(KeyError, match="already registered"):
        reg.register("a")(float)
    with pytest.raises(KeyError, match=r"Unknown widget 'b'. Known widgets: a \(import widgets"):
        reg.get("b")


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))
