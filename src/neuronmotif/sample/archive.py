"""A neuron's archive of activating sequences: deduplicated, capped by activation-stratified subsampling."""

from __future__ import annotations

import numpy as np

from ..sequences import stratified_subsample, unique_rows


class Archive:
    """Activating sequences of one neuron, deduplicated and capped by stratified subsampling."""

    def __init__(self, cap: int, bins: int, rng: np.random.Generator, deduplicate: bool = True,
                 top_k: int = 1000):
        self.cap, self.bins, self.rng, self.deduplicate = cap, bins, rng, deduplicate
        self._tokens: list[np.ndarray] = []
        self._acts: list[np.ndarray] = []
        self._size = 0
        self._top_tokens = None
        self._top_acts = np.zeros(0, dtype=np.float32)
        self.top_k = top_k

    def add(self, tokens: np.ndarray, acts: np.ndarray) -> None:
        """Add sequences (n, rf) uint8 with their activations (n,); keeps only activations > 0."""
        keep = acts > 0
        if not keep.any():
            return
        tokens, acts = tokens[keep], acts[keep].astype(np.float32)
        self._tokens.append(tokens)
        self._acts.append(acts)
        self._size += len(acts)
        self._update_top(tokens, acts)
        if self._size > 2 * self.cap:
            self._compact()

    def quality(self) -> float:
        """Mean activation of the best ``top_k`` distinct sequences (0 when empty)."""
        return float(self._top_acts.mean()) if len(self._top_acts) else 0.0

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """The final archive: tokens (n, rf) uint8 and activations (n,) float32, n <= cap."""
        self._compact()
        if not self._acts:
            return np.zeros((0, 0), dtype=np.uint8), np.zeros(0, dtype=np.float32)
        return self._tokens[0], self._acts[0]

    def _update_top(self, tokens: np.ndarray, acts: np.ndarray) -> None:
        if self._top_tokens is not None and len(self._top_acts) == self.top_k:
            # a full top set already holds top_k distinct rows at or above its minimum, and wins ties
            # (it comes first): only rows above the minimum can enter, and they are usually few
            enters = acts > self._top_acts[-1]
            if not enters.any():
                return
            tokens, acts = tokens[enters], acts[enters]
        if self._top_tokens is not None:
            tokens = np.concatenate([self._top_tokens, tokens])
            acts = np.concatenate([self._top_acts, acts])
        if self.deduplicate:
            first = unique_rows(tokens)
            tokens, acts = tokens[first], acts[first]
        best = np.argsort(-acts, kind="stable")[: self.top_k]
        self._top_tokens, self._top_acts = tokens[best], acts[best]

    def _compact(self) -> None:
        if len(self._tokens) <= 1 and self._size <= self.cap:
            return
        tokens, acts = np.concatenate(self._tokens), np.concatenate(self._acts)
        if self.deduplicate:
            first = unique_rows(tokens)
            tokens, acts = tokens[first], acts[first]
        keep = stratified_subsample(acts, self.cap, self.bins, self.rng)
        self._tokens, self._acts, self._size = [tokens[keep]], [acts[keep]], len(keep)
