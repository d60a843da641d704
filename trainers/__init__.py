"""Training programs: data, configs and experiments, callbacks, the CLI."""
