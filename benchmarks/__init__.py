"""Speed and memory benchmarks (`python -m benchmarks.suite`; docs/benchmarks.md)."""

from zoo import programs as _programs

# `python -m benchmarks.<program>` measures what the zoo's programs run: their oneDNN
# kernels and quiet stderr, set before TensorFlow loads.
_programs.setup_programs_of(__name__)
