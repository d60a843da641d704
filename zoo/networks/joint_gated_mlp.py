"""Gated MLP branches over several inputs, concatenated and joined by further gated layers."""

import keras
import tensorflow as tf

from zoo.building import ensure_built
from zoo.float32 import Float32Layer
from zoo.networks.gated_mlp import GatedMLP

__all__ = ["JointGatedMLP"]


@keras.saving.register_keras_serializable(package="zoo")
class JointGatedMLP(Float32Layer):
    """[a, b, ...] -> joint(concat(branch_a(a), branch_b(b), ...)).

    The VampPrior paper's two-level model conditions with it: q(z1 | x, z2) has
    an x branch and a z2 branch of one gated layer (300 units) each, joined by
    one more; p(x | z1, z2) the same over z1 and z2 (`models/HVAE_2level.py`).
    Branch outputs broadcast over their leading axes, so an input with a sample
    axis `[S, batch, ...]` meets one without it `[batch, ...]`. Where that
    would repeat a branch's output, the broadcast is never made: the first
    joint layer multiplies each branch's output by its own rows of the kernels
    (`GatedDense.call_on_parts`), the one without the sample axis once per
    example rather than once per sample.

    Args:
        input_ranks: trailing axes forming one example of each input, e.g.
            `(3, 1)` for an image and a latent.
        branch_units: widths of each branch's gated layers.
        joint_units: widths of the gated layers after the concatenation.
        branches: other branch layers, one per input (e.g. the ConvHVAE's
            `GatedConvNet` for x), each `[..., *example_shape]` -> `[..., F_i]`;
            None: gated MLPs of `branch_units`.

    Shapes: inputs `[..., *example_shape_i]` -> `[..., joint_units[-1]]`.
    """

    def __init__(self, input_ranks, branch_units=(300,), joint_units=(300,), branches=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.input_ranks = tuple(int(r) for r in input_ranks)
        self.branch_units = tuple(int(u) for u in branch_units)
        self.joint_units = tuple(int(u) for u in joint_units)
        self.custom_branches = branches is not None
        if branches is None:
            branches = [GatedMLP(self.branch_units, input_rank=rank, name=f"branch_{i}")
                        for i, rank in enumerate(self.input_ranks)]
        self.branches = [keras.saving.deserialize_keras_object(b) if isinstance(b, dict) else b
                         for b in branches]
        if len(self.branches) != len(self.input_ranks):
            raise ValueError(f"{len(self.branches)} branches for {len(self.input_ranks)} inputs.")
        self.joint = GatedMLP(self.joint_units, input_rank=1, name="joint")

    def build(self, input_shapes):
        leads, width = [], 0
        for branch, shape, rank in zip(self.branches, input_shapes, self.input_ranks):
            ensure_built(branch, tuple(shape))
            leads.append(tuple(shape)[:len(shape) - rank])
            width += branch.compute_output_shape(tuple(shape))[-1]
        lead = max(leads, key=len)
        ensure_built(self.joint, lead + (width,))

    def call(self, inputs):
        if len(inputs) != len(self.branches):
            raise ValueError(f"{self.name} takes {len(self.branches)} inputs; got {len(inputs)}.")
        outputs = [branch(x) for branch, x in zip(self.branches, inputs)]
        if _broadcast_expands(outputs):
            # The first joint layer takes the branches as parts, so that a branch
            # broadcast over a sample axis is multiplied once, not once per sample
            # (the IS evaluation's x features against S samples of z2: 1.12x for
            # the HVAE's, docs/benchmarks.md).
            return self.joint.call_on_parts(outputs)
        shape = tf.shape(outputs[0])[:-1]
        for output in outputs[1:]:
            shape = tf.broadcast_dynamic_shape(shape, tf.shape(output)[:-1])
        outputs = [tf.broadcast_to(o, tf.concat([shape, [o.shape[-1]]], axis=0))
                   for o in outputs]
        return self.joint(tf.concat(outputs, axis=-1))

    def compute_output_shape(self, input_shapes):
        leads = [tuple(s)[:len(s) - r] for s, r in zip(input_shapes, self.input_ranks)]
        return max(leads, key=len) + (self.joint_units[-1],)

    def get_config(self):
        config = super().get_config()
        config.update(input_ranks=list(self.input_ranks), branch_units=list(self.branch_units),
                      joint_units=list(self.joint_units))
        if self.custom_branches:
            config["branches"] = [keras.saving.serialize_keras_object(b) for b in self.branches]
        return config


def _broadcast_expands(outputs):
    """Whether broadcasting the outputs' leading axes together repeats one of them.

    Statically: an axis (aligned from the right) where one output has size 1,
    or lacks it, and another does not have size 1 (a dynamic size counts as
    more than 1). A sample axis of size 1 (training) repeats nothing.
    """
    leads = [tuple(o.shape[:-1]) for o in outputs]
    rank = max(len(lead) for lead in leads)
    padded = [(1,) * (rank - len(lead)) + lead for lead in leads]
    return any(1 in sizes and any(s != 1 for s in sizes) for sizes in zip(*padded))
