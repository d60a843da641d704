"""The training checkpoints' state files, read without Keras (the queue and the programs'
error handling use them): `state.json` and `ckpt-<epoch>.json` beside each
`ckpt-<epoch>.weights.h5`; `trainers.callbacks.CheckpointAndEarlyStopping` writes them."""

import json
import os

from zoo.errors import UserError

__all__ = ["CheckpointError", "checkpoint_states", "read_state", "state_file"]


class CheckpointError(UserError, RuntimeError):
    """A checkpoint could not be written, or no checkpoint of a workdir can be read; the
    message names the file, the reason and the way out."""


def state_file(checkpoint):
    """`ckpt-<epoch>.json`, the state saved with the checkpoint `ckpt-<epoch>.weights.h5`."""
    return checkpoint.replace(".weights.h5", ".json")


def read_state(path):
    """A state dict from `path`; ValueError if it is not one (cut short, garbled)."""
    try:
        with open(path) as f:
            state = json.load(f)
    except UnicodeDecodeError as e:
        raise ValueError(f"not text: {e}") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON: {e}") from None
    if not isinstance(state, dict) or not {"epoch", "checkpoint", "best"} <= set(state):
        raise ValueError("not a checkpoint state")
    return state


def checkpoint_states(directory):
    """The readable `ckpt-<epoch>.json` states whose checkpoint file exists, newest first."""
    states = []
    for name in os.listdir(directory):
        if name.startswith("ckpt-") and name.endswith(".json"):
            try:
                state = read_state(os.path.join(directory, name))
            except (OSError, ValueError):
                continue
            if os.path.exists(os.path.join(directory, state["checkpoint"])):
                states.append(state)
    return sorted(states, key=lambda state: -state["epoch"])
