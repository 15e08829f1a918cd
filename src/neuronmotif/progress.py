"""Progress of a long stage: bars on a terminal, plain lines when the output is piped or logged.

A rich progress bar redraws one line; in a log file or a pipe it shows only at the end. When the
console is not a terminal, :func:`progress_bars` prints a plain line instead whenever a task has
advanced by a tenth of its total or ``every`` seconds have passed, and when it completes.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class _Task:
    description: str
    total: int
    done: int = 0
    started: float = 0.0
    printed_at: float = 0.0
    printed_done: int = 0


class PlainProgress:
    """The subset of :class:`rich.progress.Progress` the pipeline uses, as plain lines.

    Parameters
    ----------
    console : rich.console.Console
    every : float
        Seconds between lines while a task advances slowly.
    """

    def __init__(self, console, every: float = 30.0):
        self.console, self.every = console, every
        self.tasks: list[_Task] = []

    def add_task(self, description: str, total: int) -> int:
        now = time.monotonic()
        self.tasks.append(_Task(description, total, started=now, printed_at=now))
        self._print(self.tasks[-1], now)
        return len(self.tasks) - 1

    def advance(self, task_id: int, advance: int = 1) -> None:
        task, now = self.tasks[task_id], time.monotonic()
        task.done += advance
        step = max(1, task.total // 10)
        if task.done >= task.total or task.done - task.printed_done >= step or now - task.printed_at >= self.every:
            self._print(task, now)

    def _print(self, task: _Task, now: float) -> None:
        task.printed_at, task.printed_done = now, task.done
        elapsed = int(now - task.started)
        self.console.print(f"{task.description}: {task.done}/{task.total} ({elapsed // 60}:{elapsed % 60:02d})",
                           highlight=False, markup=False)


class _Silent:
    def add_task(self, description: str, total: int) -> int:
        return 0

    def advance(self, task_id: int, advance: int = 1) -> None:
        return None


@contextlib.contextmanager
def progress_bars(console, enabled: bool = True) -> Iterator:
    """Progress for the pipeline's tasks on a rich ``Console``: bars on a terminal, :class:`PlainProgress`
    otherwise (rich is imported only here, so ``import neuronmotif`` does not load it)."""
    if not enabled:
        yield _Silent()
    elif console.is_terminal:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=False) as bars:
            yield bars
    else:
        yield PlainProgress(console)
