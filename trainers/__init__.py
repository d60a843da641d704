"""Training programs: data, configs and experiments, callbacks, the CLI."""

from zoo import quiet as _quiet

# `python -m trainers.<program>`: TensorFlow's C++ start-up lines stay out of stderr (--tf_logs).
_quiet.quiet_programs_of(__name__)
