"""The zoo's main job: every shipped pretrained model, evaluated through its SavedModel on the
local test data beside its recorded figure and its paper's, with sample and reconstruction grids.

    python -m savedmodels.showcase --data_dir=../shared/data [--output_dir=showcase] \
        [--num_samples=1000] [--num_examples=1000] [--registry=DIR] [--tf_logs]

For the latest version of each model in the registry it runs the export's
`log_likelihood` signature (`--num_samples` importance samples on the test
images `RandomState(0).permutation(N)[:num_examples]`, the subset the training
evaluation uses), prints a table of this run's figure, the figure recorded at
export time (the paper's protocol, usually 5,000 samples on all test images)
and the paper's, and writes to `--output_dir`:
    <name>/samples.png          64 samples (the decoder's mean images, seed 0)
    <name>/reconstructions.png  16 test images (odd rows) above their reconstructions
    showcase.json               the table
TensorFlow's C++ start-up lines are hidden unless `--tf_logs` is given (as for every
program of the zoo, see `zoo/programs.py`).
"""

import json
import os
import sys
import time

from absl import app, flags

from zoo.errors import exits_on_user_error

FLAGS = flags.FLAGS
flags.DEFINE_string("data_dir", None, "Folder with the datasets (layout of ../shared/data).",
                    required=True)
flags.DEFINE_string("output_dir", "showcase", "Where the grids and showcase.json go.")
flags.DEFINE_integer("num_samples", 1000, "Importance samples per test image.")
flags.DEFINE_integer("num_examples", 1000, "Test images evaluated (0: all).")
flags.DEFINE_string("registry", None, "Registry folder (default: the shipped one, or "
                    "$ZOO_PRETRAINED_DIR).")


def _figure(ll, stderr):
    return "-" if ll is None else f"{ll:.2f} ± {stderr:.2f}"


def showcase(registry, data_dir, output_dir, num_samples=1000, num_examples=1000, log=print):
    """Evaluates and draws every model of `registry` (latest versions); returns the table rows."""
    import numpy as np
    import tensorflow as tf

    from savedmodels import pretrained
    from savedmodels.evaluate_export import evaluate_export
    from savedmodels.export import ExportError
    from zoo import datasets
    from zoo.images import image_grid, write_png

    names = pretrained.model_names(registry)
    if not names:
        raise ExportError(f"No exports in {registry}.")
    os.makedirs(output_dir, exist_ok=True)
    rows = []
    for index, name in enumerate(names, 1):
        model = pretrained.load(name, directory=registry)
        log(f"[{index}/{len(names)}] {name} v{model.version}: evaluating on "
            f"{num_examples or 'all'} test images, {num_samples:,} importance samples ...")
        start = time.time()
        figures = evaluate_export(model.path, data_dir, num_samples, num_examples or None,
                                  progress=name)
        recorded = model.metrics
        paper_nll = model.metadata.get("paper_nll")
        # Grids: samples from the prior, and test images above their reconstructions.
        folder = os.path.join(output_dir, name)
        os.makedirs(folder, exist_ok=True)
        samples = model.signatures["sample"](num_samples=tf.constant(64),
                                             seed=tf.constant(0, tf.int64))["mean"]
        write_png(os.path.join(folder, "samples.png"), image_grid(samples, cols=8))
        test = datasets.load_splits(model.metadata["dataset"], data_dir,
                                    pixels=model.metadata.get("pixels")).test
        images = test[datasets.random_test_order(len(test))[:16]]
        z = model.signatures["encode"](x=tf.constant(images))["z"]
        decoded = model.signatures["decode"](z=z)["mean"].numpy()
        pairs = np.concatenate([images[:8], decoded[:8], images[8:], decoded[8:]])
        write_png(os.path.join(folder, "reconstructions.png"), image_grid(pairs, cols=8))
        rows.append({
            "name": name, "version": model.version,
            "test_log_likelihood": figures["test_log_likelihood"],
            "test_log_likelihood_stderr": figures["test_log_likelihood_stderr"],
            "num_samples": num_samples, "num_examples": figures["num_examples"],
            "recorded_test_log_likelihood": recorded.get("test_log_likelihood"),
            "recorded_test_log_likelihood_stderr": recorded.get("test_log_likelihood_stderr"),
            "recorded_num_samples": recorded.get("log_likelihood_num_samples"),
            "recorded_num_examples": recorded.get("log_likelihood_num_examples"),
            "paper_log_likelihood": -paper_nll if paper_nll is not None else None,
            "seconds": time.time() - start, "grids": folder})
        log(f"    {_figure(figures['test_log_likelihood'], figures['test_log_likelihood_stderr'])}"
            f" nats in {rows[-1]['seconds']:.0f} s; grids in {folder}")
    with open(os.path.join(output_dir, "showcase.json"), "w") as f:
        json.dump(rows, f, indent=2)
    return rows


def format_table(rows):
    """The rows as the text table the program prints."""
    first = rows[0]
    header = ("model", f"this run (S = {first['num_samples']:,}, {first['num_examples']:,} images)",
              "recorded (S, images)", "paper")
    lines = []
    for row in rows:
        recorded = _figure(row["recorded_test_log_likelihood"],
                           row["recorded_test_log_likelihood_stderr"])
        if row["recorded_num_samples"]:
            recorded += f" ({row['recorded_num_samples']:,}, {row['recorded_num_examples']:,})"
        paper = row["paper_log_likelihood"]
        lines.append((f"{row['name']} v{row['version']}",
                      _figure(row["test_log_likelihood"], row["test_log_likelihood_stderr"]),
                      recorded, "-" if paper is None else f"{paper:.2f}"))
    widths = [max(len(r[i]) for r in [header] + lines) for i in range(len(header))]
    fmt = lambda r: "  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip()
    return "\n".join([fmt(header), fmt(["-" * w for w in widths])] + [fmt(r) for r in lines]
                     + ["Test log-likelihoods in nats per image (higher is better)."])


@exits_on_user_error("savedmodels.showcase")
def main(argv):
    del argv
    from zoo import presets

    registry = FLAGS.registry or presets.registry_dir()
    rows = showcase(registry, FLAGS.data_dir, FLAGS.output_dir, FLAGS.num_samples,
                    FLAGS.num_examples, log=lambda line: print(line, flush=True))
    print()
    print(format_table(rows))
    print(f"\nWrote {os.path.join(FLAGS.output_dir, 'showcase.json')} and the grids.")
    return 0


if __name__ == "__main__":
    app.run(lambda argv: sys.exit(main(argv)))
