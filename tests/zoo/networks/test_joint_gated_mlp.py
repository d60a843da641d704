"""The joint network against its definition, with and without a branch broadcast over samples."""

import sys

import numpy as np
import pytest
import tensorflow as tf

from zoo.networks import GatedDense, GatedMLP, JointGatedMLP


def _joint_and_inputs(samples):
    joint = JointGatedMLP((3, 1), branch_units=(6,), joint_units=(5, 4), name="bottom_encoder")
    rng = np.random.RandomState(0)
    x = rng.rand(3, 4, 4, 1).astype("float32")                     # [batch, H, W, C]
    z = rng.randn(samples, 3, 2).astype("float32")                 # [S, batch, D]
    joint([x, z])
    return joint, x, z


def _definition(joint, x, z):
    """joint(concat(branch_x(x) broadcast over S, branch_z(z))), the concatenation made."""
    a, b = joint.branches[0](x).numpy(), joint.branches[1](z).numpy()
    a = np.broadcast_to(a, b.shape[:-1] + a.shape[-1:])
    return joint.joint(np.concatenate([a, b], axis=-1)).numpy()


def test_a_branch_broadcast_over_samples_gives_the_concatenated_definition():
    joint, x, z = _joint_and_inputs(samples=7)
    out = joint([x, z]).numpy()
    assert out.shape == (7, 3, 4)
    np.testing.assert_allclose(out, _definition(joint, x, z), rtol=1e-5, atol=1e-6)


def test_the_broadcast_branch_is_multiplied_once_not_once_per_sample():
    joint, x, z = _joint_and_inputs(samples=7)
    function = tf.function(lambda x, z: joint([x, z]))
    graph = function.get_concrete_function(tf.TensorSpec(x.shape), tf.TensorSpec(z.shape)).graph
    # The first joint layer (5 units): h and g each multiply the x features on
    # the 3 batch rows and the z features on the 7 * 3 sample rows.
    rows = sorted(op.inputs[0].shape[0] for op in graph.get_operations()
                  if op.type == "MatMul" and op.outputs[0].shape[-1] == 5)
    assert rows == [3, 3, 21, 21]
    shapes = {tuple(t.shape) for op in graph.get_operations() for t in op.outputs}
    assert (7, 3, 12) not in shapes                       # no broadcast concatenation


def test_without_a_repeated_axis_the_network_is_its_definition_to_the_bit():
    joint, x, z = _joint_and_inputs(samples=1)                      # training: S = 1
    np.testing.assert_array_equal(joint([x, z]).numpy(), _definition(joint, x, z))
    np.testing.assert_array_equal(joint([x, z[0]]).numpy(), _definition(joint, x, z[0]))


def test_parts_must_cover_the_kernel():
    layer = GatedDense(3)
    layer(np.zeros((2, 5), "float32"))
    with pytest.raises(ValueError, match=r"takes 5 input features; the parts have \[2, 2\]"):
        layer.call_on_parts([tf.zeros([2, 2]), tf.zeros([2, 2])])


def test_only_a_network_on_feature_vectors_takes_parts():
    images = GatedMLP((3,), input_rank=3, name="on_images")
    images(np.zeros((2, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match="on_images takes its input in parts only for input_rank"):
        images.call_on_parts([tf.zeros([2, 8]), tf.zeros([2, 8])])
    vectors = GatedMLP((3, 2))
    vectors(np.zeros((2, 5), "float32"))
    a, b = np.random.RandomState(0).randn(2, 2).astype("float32"), np.ones((2, 3), "float32")
    np.testing.assert_allclose(vectors.call_on_parts([a, b]), vectors(np.concatenate([a, b], -1)),
                               rtol=1e-5, atol=1e-6)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
