"""User errors: what a user can fix (a missing dataset file, a workdir in use, an unknown
experiment, bad options) is said in one line, not a traceback.

Every such error of the zoo's derives from `UserError` beside its built-in kind
(`class DatasetNotFoundError(UserError, FileNotFoundError)`), so that callers
catching the built-in kind keep working, and the programs catch `UserError` in
one place: `exits_on_user_error` prints "<program>: <message>" on stderr and
exits with code 2. Any other exception is a bug and keeps its traceback.
"""

import functools
import sys

__all__ = ["USER_ERROR_EXIT_CODE", "ConfigError", "DatasetFileError", "DatasetNotFoundError",
           "ImageShapeError", "UnknownNameError",
           "UserError", "note_user",
           "exits_on_user_error", "warn_user"]

USER_ERROR_EXIT_CODE = 2


class UserError(Exception):
    """Mixin of the errors a user can fix; the message says what is wrong and what to do."""


class ConfigError(UserError, ValueError):
    """An option that does not exist or a value it cannot take."""


class DatasetNotFoundError(UserError, FileNotFoundError):
    """No local copy of a dataset and no network to download it."""


class DatasetFileError(UserError, ValueError):
    """A local dataset file that cannot be used: unreadable (cut short, not an archive) or
    with the wrong arrays, dtypes or values; the message names the file and the problem."""


class ImageShapeError(ConfigError):
    """An image shape a network cannot take; the message names the constraint (the model
    builder adds the architecture's name and the shape)."""


class UnknownNameError(UserError, KeyError):
    """A name that nothing is registered under (an experiment, a prior ...); the message
    lists the known ones."""

    def __str__(self):   # KeyError's own str() quotes the message
        return str(self.args[0]) if self.args else ""


def note_user(message):
    """Prints "Note: <message>" on stderr: a choice made for the user that they should see
    (pixels inferred from a file, a validation split held out), whatever the logging
    settings (absl's lines are filtered from the programs' stderr with TensorFlow's)."""
    print(f"Note: {message}", file=sys.stderr, flush=True)


def warn_user(message):
    """Prints "Warning: <message>" on stderr: something the user should know (a damaged file
    recovered from, a stale lock taken over), shown whatever the logging settings."""
    print(f"Warning: {message}", file=sys.stderr, flush=True)


def exits_on_user_error(program):
    """Decorates a program's `main(argv)`: a `UserError` prints "<program>: <message>" on
    stderr and returns `USER_ERROR_EXIT_CODE` (absl's `app.run` passes it to `sys.exit`)."""

    def decorator(main):
        @functools.wraps(main)
        def wrapped(*args, **kwargs):
            try:
                return main(*args, **kwargs)
            except UserError as e:
                print(f"{program}: {e}", file=sys.stderr, flush=True)
                return USER_ERROR_EXIT_CODE

        return wrapped

    return decorator
