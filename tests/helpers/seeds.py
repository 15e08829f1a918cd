"""Claims about trained models that must hold on most training seeds, not on one lucky model."""

from collections.abc import Callable, Sequence

#: why a claim is made on most seeds rather than all (BENCHMARKS.md, "Test suite", session 16)
HOST_NOTE = ("floating-point kernels differ between hosts, so a seed's trained model differs too: on an AMD EPYC "
             "host, pair seed 4 learned ESRRB as the half site AAGGTC (named NR2F2), which the rule stage "
             "read as a variant of a KLF pair")


def holds_on_most_seeds(check: Callable[[int], str | None], seeds: Sequence[int]) -> None:
    """Assert ``check(seed)`` on all ``seeds`` but at most one in three; ``check`` returns why it fails, or None."""
    failures = {seed: why for seed in seeds if (why := check(seed)) is not None}
    allowed = len(seeds) // 3
    assert len(failures) <= allowed, f"fails on {len(failures)} of {len(seeds)} seeds (at most {allowed}): {failures}"
