"""Saves image grids of samples from an NCP-VAE and from its base prior.

    python -m trainers.sample_ncp --workdir=/tmp/ncp [--output_dir=/tmp/ncp/samples] \
        [--num_samples=64] [--num_proposals=5000] [--langevin_steps=100] \
        [--langevin_step_size=0.01] [--seed=0]

Reads `<workdir>/model.keras` (written by `trainers.train_ncp`) and writes three
PNG grids of the decoder's mean images, drawn from the same seed:
    base.png      z from the base prior (the first-stage VAE)
    sir.png       z from the NCP by sampling-importance-resampling
    langevin.png  z from the NCP by Langevin dynamics (top group; lower groups by SIR)
"""

import os

from absl import app, flags

from trainers.ncp_training import load_ncp_model
from zoo import files
from zoo.errors import exits_on_user_error
from zoo.images import image_grid, write_png
from zoo.priors import NoiseContrastiveConditional

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Output folder of trainers.train_ncp.", required=True)
flags.DEFINE_string("output_dir", None, "Where the PNGs go (default: <workdir>/samples).")
flags.DEFINE_integer("num_samples", 64, "Images per grid.")
flags.DEFINE_integer("num_proposals", None, "SIR proposals per sample (default: the model's).")
flags.DEFINE_integer("langevin_steps", None, "Langevin iterations (default: the model's).")
flags.DEFINE_float("langevin_step_size", None, "Langevin step size (default: the model's).")
flags.DEFINE_integer("seed", 0, "Seed of all three grids.")


def sample_grids(model, output_dir, num_samples=64, seed=0):
    """Writes base.png, sir.png and langevin.png; returns {name: path}."""
    os.makedirs(output_dir, exist_ok=True)
    base_parts = {"prior": model.prior.base}
    if isinstance(getattr(model, "conditional_prior", None), NoiseContrastiveConditional):
        base_parts["conditional_prior"] = model.conditional_prior.base
    base = model.with_parts(**base_parts)
    paths = {}
    for name, sampler in (("base", None), ("sir", "sir"), ("langevin", "langevin")):
        source = base
        if sampler is not None:
            model.prior.sampler = sampler
            source = model
        means = source.sample(num_samples, seed=seed)["mean"]
        paths[name] = os.path.join(output_dir, f"{name}.png")
        write_png(paths[name], image_grid(means))
    files.fsync(output_dir)
    return paths


@exits_on_user_error("trainers.sample_ncp")
def main(argv):
    del argv
    model = load_ncp_model(FLAGS.workdir)
    for option in ("num_proposals", "langevin_steps", "langevin_step_size"):
        if getattr(FLAGS, option) is not None:
            setattr(model.prior, option, getattr(FLAGS, option))
            if option == "num_proposals" and hasattr(model, "conditional_prior"):
                model.conditional_prior.num_proposals = FLAGS.num_proposals
    output_dir = FLAGS.output_dir or os.path.join(FLAGS.workdir, "samples")
    for name, path in sample_grids(model, output_dir, FLAGS.num_samples, FLAGS.seed).items():
        print(f"{name}: {path}")


if __name__ == "__main__":
    app.run(main)
