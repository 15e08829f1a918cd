"""The GA's first generation: random sequences seeded with the lower layer's CRMs, placed where the
neuron's positive input weights look.

Fixes of the published code: lower-layer strength per input channel is taken per channel (no
neuron-major/channel-minor mix-up); only the informative span (>= 3 positions of IC > 1 bit) of a
lower-layer CRM is pasted, so uninformative CRMs never seed poly-A; empty weight bins get nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..model import DNAModel
from ..ppm import informative_columns


@dataclass
class LowerLayerMotifs:
    """Seeding material: the CRMs of the layer below, reduced to their informative consensus.

    Attributes
    ----------
    channel : np.ndarray, shape (P,), int
        The lower-layer neuron (= input channel of this layer) each CRM belongs to.
    consensus : np.ndarray, shape (P, rf_lower), uint8
        Argmax base of each CRM position.
    informative : np.ndarray, shape (P, rf_lower), bool
        Positions to paste: the span from the first to the last position with IC > 1 bit.
    max_activation : np.ndarray, shape (P,), float
        Maximum activation of each CRM's sequences.
    """

    channel: np.ndarray
    consensus: np.ndarray
    informative: np.ndarray
    max_activation: np.ndarray

    @classmethod
    def from_ppms(cls, channel: np.ndarray, ppms: np.ndarray, max_activation: np.ndarray,
                  min_informative: int = 3) -> LowerLayerMotifs:
        """Build from CRM PPMs of shape (P, 4, rf_lower); CRMs with too little information are dropped."""
        strong = informative_columns(ppms)  # (P, rf)
        keep = strong.sum(axis=1) >= min_informative
        positions = np.arange(ppms.shape[2])
        first = np.where(strong, positions, ppms.shape[2]).min(axis=1)
        last = np.where(strong, positions, -1).max(axis=1)
        span = (positions >= first[:, None]) & (positions <= last[:, None])
        return cls(channel=np.asarray(channel)[keep], consensus=ppms.argmax(axis=1).astype(np.uint8)[keep],
                   informative=span[keep], max_activation=np.asarray(max_activation, dtype=np.float64)[keep])


def entry_probabilities(weights: np.ndarray, bins: int = 20) -> np.ndarray:
    """Probability of seeding each (input channel, kernel position) entry.

    Positive weights are cut into ``bins`` equal-width bins over (0, max]; every non-empty bin gets the
    same mass, shared within the bin in proportion to the weight. Weak but positive inputs are thus
    still explored. Empty bins get nothing (the published code double-counted their neighbour).

    Parameters
    ----------
    weights : np.ndarray, shape (C_in, k)
        Input weights scaled by each input channel's strength.

    Returns
    -------
    np.ndarray, shape (C_in * k,), summing to 1 (all zero if no weight is positive).
    """
    w = np.clip(weights.reshape(-1).astype(np.float64), 0, None)
    if w.max(initial=0.0) <= 0:
        return np.zeros_like(w)
    which = np.clip(np.ceil(w / w.max() * bins).astype(np.int64) - 1, 0, bins - 1)
    which[w <= 0] = -1
    mass = np.zeros_like(w)
    occupied = np.unique(which[which >= 0])
    for b in occupied:
        members = which == b
        mass[members] = w[members] / w[members].sum() / len(occupied)
    return mass / mass.sum()


def initial_population(model: DNAModel, layer: int, neuron: int, lower: LowerLayerMotifs | None, size: int,
                       generator: torch.Generator) -> torch.Tensor:
    """The GA's first generation for one neuron: random sequences seeded with lower-layer motifs.

    Each sequence receives up to ``max(2, pool)`` lower-layer CRM consensus spans, where ``pool`` is
    the pooling between layer ``layer - 1`` and this layer: an input entry (channel c, kernel position
    p) is drawn by :func:`entry_probabilities`, one of channel c's CRMs is chosen at random and pasted
    at ``p * pool_below(layer) + j * pool_below(layer - 1)`` with j random within the pool window,
    unless it overlaps a span already pasted.

    Returns
    -------
    torch.Tensor, shape (size, rf), int64 base indices (on the CPU).
    """
    spec = model.layer(layer)
    tokens = torch.randint(0, 4, (size, spec.rf), generator=generator)
    if lower is None or layer == 1 or len(lower.channel) == 0:
        return tokens
    below = model.layer(layer - 1)
    if lower.consensus.shape[1] != below.rf:
        raise ValueError(f"seeding CRMs are {lower.consensus.shape[1]} bp long but layer {layer - 1}'s receptive "
                         f"field is {below.rf} bp: they come from another layer.")
    strength = np.zeros(spec.in_channels)
    np.maximum.at(strength, lower.channel, lower.max_activation)
    weight, _ = model.effective_weights(layer)
    probs = entry_probabilities(weight[neuron].cpu().numpy() * strength[:, None])
    n_positive = int((probs > 0).sum())
    if n_positive == 0:
        return tokens
    n_draw = min(max(2, below.pool_after), n_positive)
    entries = torch.multinomial(torch.as_tensor(probs).expand(size, -1), n_draw, replacement=False,
                                generator=generator)
    # per channel, a padded table of its usable CRMs
    per_channel = [np.flatnonzero(lower.channel == c) for c in range(spec.in_channels)]
    counts = torch.tensor([len(x) for x in per_channel])
    table = torch.zeros(spec.in_channels, max(1, counts.max().item()), dtype=torch.long)
    for c, members in enumerate(per_channel):
        table[c, : len(members)] = torch.as_tensor(members)
    consensus = torch.as_tensor(lower.consensus, dtype=torch.long)
    informative = torch.as_tensor(lower.informative)
    occupied = torch.zeros(size, spec.rf, dtype=torch.bool)
    offsets = torch.arange(below.rf)
    for d in range(n_draw):
        channel, position = entries[:, d] // spec.kernel_size, entries[:, d] % spec.kernel_size
        pick = (torch.rand(size, generator=generator) * counts[channel].clamp_min(1)).long()
        crm = table[channel, pick]
        shift = torch.randint(0, below.pool_after, (size,), generator=generator)
        start = position * spec.pool_below + shift * below.pool_below
        where = start[:, None] + offsets  # (size, rf_lower)
        mask = informative[crm] & (counts[channel] > 0)[:, None]
        ok = ~(occupied.gather(1, where) & mask).any(dim=1)
        mask &= ok[:, None]
        tokens.scatter_(1, where, torch.where(mask, consensus[crm], tokens.gather(1, where)))
        occupied.scatter_(1, where, occupied.gather(1, where) | mask)
    return tokens
