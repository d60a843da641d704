"""Peak memory and time of one `log_likelihood` request to an export, by request size: the
export's sliced signatures (100 images at a time) beside the same model exported unsliced.

    python -m benchmarks.request_memory [--pretrained=vae_vamp_static_mnist] \
        [--requests=100x1000,2000x1000,10000x1000] [--baseline_max_images=2000]

Each request runs in a fresh process that loads the export, builds the images
and sends one request; its peak RSS (ru_maxrss) and the request's wall time
are printed, with the CPU. The baseline is the same model exported with
`ServingLimits(batch_slice=max_batch)` (one slice: the graph before slicing);
it runs only up to `--baseline_max_images`, since its memory grows by about
2 MB per image at S >= 100 and a 10,000-image request would exhaust 24 GB.
"""

import json
import os
import subprocess
import sys
import tempfile

from absl import app, flags

FLAGS = flags.FLAGS
flags.DEFINE_string("pretrained", "vae_vamp_static_mnist", "A shipped model.")
flags.DEFINE_list("requests", ["100x1000", "2000x1000", "10000x1000"],
                  "Requests, IMAGESxSAMPLES.")
flags.DEFINE_integer("baseline_max_images", 2000, "Largest request sent to the unsliced export.")

REQUEST = """
import json, resource, sys, time
import numpy as np
import tensorflow as tf
path, batch, samples = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
log_likelihood = tf.saved_model.load(path).signatures["log_likelihood"]
x = (np.random.RandomState(0).rand(batch, 28, 28, 1) > 0.7).astype(np.float32)
start = time.perf_counter()
out = log_likelihood(x=x, num_samples=tf.constant(samples))["log_likelihood"].numpy()
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_rss_mb": resource.getrusage(
    resource.RUSAGE_SELF).ru_maxrss / 1024, "mean_ll": float(out.mean())}))
"""


def _request(path, images, samples):
    result = subprocess.run([sys.executable, "-c", REQUEST, path, str(images), str(samples)],
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"), capture_output=True,
                            text=True)
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv):
    del argv
    import dataclasses

    import zoo.models  # noqa: F401  (registers the zoo's classes for loading)
    from savedmodels import export
    from savedmodels.signatures import ServingLimits
    from trainers.reproduction import cpu_model
    from zoo import presets

    model = presets.load_keras_model(presets.preset_dir(FLAGS.pretrained))
    sliced = ServingLimits()
    unsliced = dataclasses.replace(sliced, batch_slice=sliced.max_batch)
    print(f"{FLAGS.pretrained}, CPU {cpu_model()}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as base:
        paths = {"sliced": export.export_model(model, base, "sliced", limits=sliced),
                 "unsliced": export.export_model(model, base, "unsliced", limits=unsliced)}
        print("| request | export | peak RSS (MB) | seconds | importance samples/s |")
        print("|---|---|---|---|---|")
        for request in FLAGS.requests:
            images, samples = map(int, request.split("x"))
            for kind, path in paths.items():
                if kind == "unsliced" and images > FLAGS.baseline_max_images:
                    continue
                row = _request(path, images, samples)
                if "error" in row:
                    print(f"| {images} x {samples} | {kind} | {row['error']} | | |")
                    continue
                print(f"| {images} x {samples} | {kind} | {row['peak_rss_mb']:.0f} | "
                      f"{row['seconds']:.1f} | {images * samples / row['seconds']:,.0f} |",
                      flush=True)


if __name__ == "__main__":
    app.run(main)
