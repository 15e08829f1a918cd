"""Running the command line from tests: in process (CliRunner) for messages, the toy model file's path."""

from pathlib import Path

from click.testing import CliRunner

from neuronmotif.cli import main

#: tests/helpers/toy_models.py, for FILE.py:Class model specifications
TOY = str(Path(__file__).parent / "toy_models.py")


def invoke(*args):
    """``neuronmotif ARGS`` in process; the result's output holds stdout and stderr."""
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_user_error(result, *fragments):
    """A refusal: exit code 2, one message holding every fragment, no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output
