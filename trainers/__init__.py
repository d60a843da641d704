"""Training programs: data, configs and experiments, callbacks, the CLI."""

from zoo import programs as _programs

# `python -m trainers.<program>`: oneDNN kernels and a quiet stderr, set before TensorFlow loads.
_programs.setup_programs_of(__name__)
