"""User-facing errors.

Every problem a user can fix (a bad file, an unsupported layer, a wrong option) raises
:class:`NeuronMotifError` with one sentence that names the problem and the fix. The command-line
interface prints that sentence without a traceback (``--debug`` shows it).
"""

from __future__ import annotations


class NeuronMotifError(Exception):
    """A problem with the user's input, with a message that names the problem and the fix."""


class UnsupportedModelError(NeuronMotifError):
    """The model contains a construct that neuronmotif cannot decipher."""


class RunDirectoryError(NeuronMotifError):
    """The output directory cannot be used for this run."""


def check_range(owner: str, name: str, value: float | None, low: float | None = None, high: float | None = None,
                optional: bool = False) -> None:
    """Raise :class:`NeuronMotifError` naming ``owner.name`` when ``value`` lies outside ``[low, high]``.

    Parameters
    ----------
    owner, name : str
        The class and attribute (or function and parameter) the value was given as, for the message.
    value : number or None
    low, high : number or None
        Inclusive bounds (None: unbounded).
    optional : bool
        Whether None is allowed.
    """
    if value is None and optional:
        return
    if value is None or (low is not None and value < low) or (high is not None and value > high):
        bounds = (f"between {low} and {high}" if low is not None and high is not None
                  else f"at least {low}" if low is not None else f"at most {high}")
        raise NeuronMotifError(f"{owner}.{name} must be {bounds}, not {value!r}.")
