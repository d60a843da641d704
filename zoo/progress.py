"""Progress of long evaluations: a Keras progress bar on a terminal, lines in a log.

Keras's `Progbar` redraws one line with carriage returns, which in a log file
becomes one very long line; so off a terminal each update is a line of its own,
at most one every `interval` seconds (and always the first and the last). The
lines go to stderr, so that a program's stdout (JSON, tables) stays its own.
"""

import sys
import time

__all__ = ["Progress", "with_progress"]


class Progress:
    """Reports `update(done)` of `total` steps under `label`, with the time left.

    Args:
        label: what is being computed (printed first); None reports nothing.
        total: the number of steps (None: unknown, no estimate).
        units: what a step is, in the lines ("batches").
        stream: where lines go (default: stderr).
        interval: seconds between lines off a terminal.
    """

    def __init__(self, label, total=None, stream=None, interval=10.0, units="batches"):
        self.label, self.total, self.units = label, total, units
        self.stream = stream or sys.stderr
        self.interval = interval
        self.start = self.last = time.time()
        self.bar = None
        if label is None:
            return
        # Keras draws its bar on stdout: only when both are a terminal.
        if all(getattr(s, "isatty", lambda: False)() for s in (self.stream, sys.stdout)):
            import keras

            print(label, flush=True)
            self.bar = keras.utils.Progbar(total, unit_name="step")

    def update(self, done):
        if self.label is None:
            return
        if self.bar is not None:
            self.bar.update(done)
            return
        now = time.time()
        last = self.total is not None and done >= self.total
        if now - self.last < self.interval and not last and done != 1:
            return
        self.last = now
        elapsed = now - self.start
        line = f"{self.label}: {done}"
        if self.total:
            left = elapsed / done * (self.total - done)
            line += f"/{self.total} {self.units}, {elapsed:.0f} s" + (
                f", about {left:.0f} s left" if not last else "")
        else:
            line += f" {self.units}, {elapsed:.0f} s"
        print(line, file=self.stream, flush=True)


def with_progress(batches, label=None, total=None, **options):
    """Yields the items of `batches`, reporting `Progress(label, total)` after each."""
    progress = Progress(label, total, **options)
    for done, batch in enumerate(batches, start=1):
        yield batch
        progress.update(done)
