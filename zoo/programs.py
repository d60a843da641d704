"""What the zoo's programs set up when they start, before TensorFlow loads.

`python -m trainers.train ...` (any module of `trainers`, `savedmodels` or
`benchmarks` run as a program) first runs its package's `__init__`, which calls
`setup_programs_of(__name__)`. When this process runs one of that package's
modules, it

  - turns on TensorFlow's oneDNN CPU kernels (`TF_ENABLE_ONEDNN_OPTS=1`)
    unless the environment already sets the variable (`TF_ENABLE_ONEDNN_OPTS=0`
    keeps Eigen's kernels);
  - hides TensorFlow's C++ log lines from stderr unless the command line
    carries `--tf_logs` (`zoo.quiet`).

Importing the packages as a library changes nothing. The programs print their
results with `print_results`.

Why oneDNN: TensorFlow 2.21 turns its oneDNN kernels on by default on some
CPUs only. On the Intel Xeons with AVX-512 and AMX seen here they are on; on
the AMD EPYC Zen 3 (AVX2) they are off, and every op that XLA does not compile
runs Eigen's kernel. There, with them on (docs/benchmarks.md), the
convolutional families train 1.5-1.7x faster (ConvHVAE 35 -> 51 images/s,
PixelHVAE 20 -> 30, VLAE 179 -> 265, ResNet VAE + RealNVP 310 -> 538; a 7 x 7
convolution of one channel, the first layer of the ConvHVAE's encoder, 5x) and
the IS evaluation, which runs without XLA, 1.1-1.35x; the XLA-compiled MLP
families train as before. TensorFlow reads the variable once, when it loads,
so it is set before any module imports TensorFlow.
"""

import json
import os
import sys

from zoo import quiet

__all__ = ["ONEDNN_VARIABLE", "print_results", "runs_a_program_of", "setup_programs_of"]

ONEDNN_VARIABLE = "TF_ENABLE_ONEDNN_OPTS"


def runs_a_program_of(package, argv=None):
    """Whether the command line (`sys.orig_argv`) runs a module of `package` with `python -m`."""
    argv = getattr(sys, "orig_argv", []) if argv is None else argv
    module = _module_of(argv)
    return module is not None and module.startswith(package + ".")


def _module_of(argv):
    """The module `python [options] -m MODULE ...` runs; None for a script, `-c` or `-`."""
    args = iter(argv[1:])
    for arg in args:
        if arg == "-m":
            return next(args, None)
        if arg.startswith("-m"):
            return arg[2:]
        if arg in ("-W", "-X", "--check-hash-based-pycs"):   # options that take a value
            next(args, None)
        elif arg in ("-c", "-") or not arg.startswith("-"):  # what follows is the program's
            return None
    return None


def setup_programs_of(package):
    """The programs' settings (above) when this process runs a module of `package`.

    `--tf_logs` on the command line keeps TensorFlow's C++ lines (and is removed
    from `sys.argv` before the program parses its flags).
    """
    if not runs_a_program_of(package):
        return
    os.environ.setdefault(ONEDNN_VARIABLE, "1")
    show = quiet.SHOW_FLAG in sys.argv
    if show:
        sys.argv.remove(quiet.SHOW_FLAG)
    quiet.hide_tensorflow_logs_unless(show)


def print_results(results, stream=None):
    """Prints a program's results (a JSON-able dict) as one indented JSON block (stdout by default).

    In one write, newline included, and flushed now: the workers of a multi-worker
    run share one terminal or pipe, and `print` writes its text and its end
    separately (two system calls under `PYTHONUNBUFFERED`), which let another
    worker's block start before this one's newline ("}{"). A write of up to
    PIPE_BUF (4 KB) bytes to a pipe is never interleaved with another process's.
    """
    stream = sys.stdout if stream is None else stream
    stream.write(json.dumps(results, indent=2, sort_keys=True) + "\n")
    stream.flush()
