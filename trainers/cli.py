"""What the programs share: user errors are one line on stderr and exit code 2.

An error the user can fix (a workdir in use, a missing dataset file) is a
sentence, not a traceback; an unexpected error keeps its traceback.
"""

import functools
import sys

from trainers.workdir_lock import NoSuchWorkdirError, WorkdirInUseError
from zoo.datasets import DatasetNotFoundError

__all__ = ["USER_ERRORS", "user_errors_in_one_line"]

USER_ERRORS = (WorkdirInUseError, NoSuchWorkdirError, DatasetNotFoundError)


def user_errors_in_one_line(program):
    """Decorates an absl `main(argv)`: a `USER_ERRORS` error prints "<program>: <message>" and
    exits 2."""

    def decorator(main):
        @functools.wraps(main)
        def wrapped(argv):
            try:
                return main(argv)
            except USER_ERRORS as e:
                print(f"{program}: {e}", file=sys.stderr, flush=True)
                return 2

        return wrapped

    return decorator
