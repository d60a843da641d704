"""`tf.distribute` strategies for the training program, and who writes what.

    default       one device (the default strategy).
    mirrored      all local devices, in sync (`MirroredStrategy`). On a CPU,
                  `num_cpu_devices=N` first splits it into N logical devices.
    multi_worker  `MultiWorkerMirroredStrategy`: one process per worker, the
                  cluster and this process's task read from the TF_CONFIG
                  environment variable, as TensorFlow documents:
                  {"cluster": {"worker": ["host1:port", "host2:port"]},
                   "task": {"type": "worker", "index": 0}}

The chief (task "chief", or worker 0 when the cluster has no chief) writes the
checkpoints, logs and evaluation in the workdir. The other workers take part in
every step (and every save, as TensorFlow requires) but write to temporary
folders that they delete; they read the chief's checkpoint when resuming, so on
several machines the workdir must be on a filesystem they all see.
"""

import json
import os

import tensorflow as tf

__all__ = ["STRATEGIES", "WorkerRole", "barrier", "configure_cpu_devices", "make_strategy",
           "worker_role"]

STRATEGIES = ("default", "mirrored", "multi_worker")


def configure_cpu_devices(count):
    """Splits the CPU into `count` logical devices; must run before TensorFlow uses a device."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * count)
    except RuntimeError as error:
        raise RuntimeError(
            f"--num_cpu_devices={count} must be applied before TensorFlow initializes its "
            f"devices (in a fresh process, before any op runs): {error}") from error


def make_strategy(name, num_cpu_devices=None):
    """The strategy called `name` (one of STRATEGIES)."""
    if name not in STRATEGIES:
        raise ValueError(f"Unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}.")
    if num_cpu_devices is not None:
        if name != "mirrored":
            raise ValueError("--num_cpu_devices splits the CPU for --strategy=mirrored only.")
        if num_cpu_devices < 1:
            raise ValueError(f"--num_cpu_devices must be at least 1; got {num_cpu_devices}.")
        configure_cpu_devices(num_cpu_devices)
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        devices = None
        if num_cpu_devices is not None:
            devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    _check_tf_config()
    return tf.distribute.MultiWorkerMirroredStrategy()


def _check_tf_config():
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        raise ValueError("--strategy=multi_worker reads the cluster from the TF_CONFIG environment "
                         "variable, which is not set (see trainers/strategies.py).")
    try:
        config = json.loads(raw)
        workers = config["cluster"]["worker"]
        task = config["task"]
        task["type"], int(task["index"])
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"TF_CONFIG must hold cluster.worker and task.type/index; "
                         f"got {raw!r} ({error}).") from error
    if not workers:
        raise ValueError("TF_CONFIG lists no workers.")


class WorkerRole:
    """This process's place in the cluster.

    Attributes:
        is_chief: it writes the workdir.
        task: e.g. "worker/1" (the task type and index; "local" outside a cluster).
    """

    def __init__(self, is_chief, task):
        self.is_chief = is_chief
        self.task = task

    def __repr__(self):
        return f"WorkerRole(is_chief={self.is_chief}, task={self.task!r})"


def worker_role(strategy):
    """The `WorkerRole` of this process under `strategy`."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) or resolver is None:
        return WorkerRole(True, "local")
    task_type, task_id = resolver.task_type, resolver.task_id
    cluster = resolver.cluster_spec().as_dict()
    is_chief = (task_type == "chief" or
                (task_type == "worker" and task_id == 0 and "chief" not in cluster) or
                task_type is None)
    return WorkerRole(is_chief, f"{task_type}/{task_id}")


def barrier(strategy):
    """Waits until every worker of a multi-worker cluster gets here (a no-op otherwise).

    The other workers wait at the end of a run while the chief evaluates: a
    worker that left early would be reported to the chief as a crashed task.
    """
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return
    strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(lambda: tf.constant(1.0)),
                    axis=None)
