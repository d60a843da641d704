"""User errors: one line and exit code 2 from every program; other errors keep their traceback."""

import ast
import os
import sys

import pytest

from zoo import errors
from zoo.registry import Registry, dataclass_from_dict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PROGRAMS = ["trainers.train", "trainers.train_ncp", "trainers.evaluate", "trainers.export",
            "trainers.reproduce", "trainers.analyze", "trainers.rd_sweep", "trainers.compare",
            "trainers.sample_ncp", "savedmodels.evaluate_export", "savedmodels.showcase",
            "savedmodels.backfill_keras", "savedmodels.reexport"]


def test_a_user_error_is_one_line_and_exit_code_2_others_propagate(capsys):
    @errors.exits_on_user_error("prog")
    def main(problem):
        raise problem

    assert main(errors.ConfigError("Bad option --x=3; use 1 or 2.")) == 2
    assert capsys.readouterr().err == "prog: Bad option --x=3; use 1 or 2.\n"
    with pytest.raises(ZeroDivisionError):   # a bug keeps its traceback
        main(ZeroDivisionError("division by zero"))
    assert main.__wrapped__.__name__ == "main"


def test_lookups_and_options_raise_user_errors_that_keep_their_builtin_kinds():
    registry = Registry("prior")
    registry.register("standard")(object)
    with pytest.raises(KeyError) as error:
        registry.get("vamp")
    assert isinstance(error.value, errors.UnknownNameError)
    assert str(error.value) == "Unknown prior 'vamp'. Known priors: standard."   # no quotes

    import dataclasses

    @dataclasses.dataclass
    class Options:
        size: int = 1

    with pytest.raises(ValueError) as error:
        dataclass_from_dict(Options, {"sise": 2}, "prior 'x'")
    assert isinstance(error.value, errors.ConfigError)
    assert str(error.value) == "Unknown options ['sise'] for prior 'x'; known: ['size']."


@pytest.mark.parametrize("program", PROGRAMS)
def test_every_program_says_user_errors_in_one_line(program):
    # Read, not imported: the programs define absl flags of the same names.
    path = os.path.join(ROOT, *program.split(".")) + ".py"
    with open(path) as f:
        tree = ast.parse(f.read())
    main = next(node for node in tree.body
                if isinstance(node, ast.FunctionDef) and node.name == "main")
    decorators = [ast.unparse(d) for d in main.decorator_list]
    assert decorators == [f"exits_on_user_error({program!r})"], decorators


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))
