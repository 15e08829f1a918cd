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
