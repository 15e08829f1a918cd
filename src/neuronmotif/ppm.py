"""Stage 3: position probability matrices of the demixed clusters (CRMs) and their checks.

A CRM ("convolutional-neuron regulatory motif") is the activation-weighted PPM of one cluster of
activating sequences. Its consensus (argmax base per position) is evaluated by the neuron: the ratio
C/M of the consensus activation C to the cluster's maximum activation M tells whether the PPM still
describes what the neuron wants (close to 1) or is a blur of several patterns.

PPMs are arrays of shape (4, L), rows A, C, G, T, as in memelite and tangermeme.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .model import DNAModel
from .sequences import decode, one_hot


def consensus_ratio(consensus_activation: float, max_activation: float) -> float:
    """C / M, the diagnosis of NeuronMotif: the consensus's activation over the sample's maximum (0 if M <= 0)."""
    return consensus_activation / max_activation if max_activation > 0 else 0.0


def informative_columns(ppm: np.ndarray, min_bits: float = 1.0) -> np.ndarray:
    """Columns of a (4, L) PPM (or (..., 4, L) stack) holding at least ``min_bits`` bits, bool (..., L)."""
    return information_content(ppm) >= min_bits


@dataclass
class CRM:
    """One demixed pattern of a neuron.

    Attributes
    ----------
    neuron, index : int
        0-based neuron of its layer and 0-based CRM number within the neuron.
    ppm : np.ndarray, shape (4, rf)
        Activation-weighted position probability matrix, rows A, C, G, T.
    n_sequences : int
        Sampled sequences in the cluster.
    max_activation : float
        M, the largest activation in the cluster.
    consensus_activation : float
        C, the neuron's activation on the PPM's argmax consensus.
    """

    neuron: int
    index: int
    ppm: np.ndarray
    n_sequences: int
    max_activation: float
    consensus_activation: float

    @property
    def ratio(self) -> float:
        """C / M: 1 when the consensus fires the neuron as strongly as the best sampled sequence."""
        return consensus_ratio(self.consensus_activation, self.max_activation)

    @property
    def consensus(self) -> str:
        return decode(self.ppm.argmax(axis=0))


def activation_weighted_ppm(tokens: np.ndarray, acts: np.ndarray, bins: int = 50) -> np.ndarray:
    """PPM in which each activation level counts equally, whatever its number of sequences.

    The activations are cut into ``bins`` equal-width bins over (0, max]; the PPM is the average of
    the non-empty bins' frequency matrices weighted by their mean activation. Empty bins contribute
    nothing (the published code copied the previous bin, double-counting it).

    Parameters
    ----------
    tokens : np.ndarray, shape (N, L), uint8
    acts : np.ndarray, shape (N,), positive
    bins : int

    Returns
    -------
    np.ndarray, shape (4, L), columns sum to 1.
    """
    n, length = tokens.shape
    which = np.clip(np.ceil(acts / acts.max() * bins).astype(np.int64) - 1, 0, bins - 1)
    flat = (which[:, None] * 4 + tokens.astype(np.int64)) * length + np.arange(length)
    counts = np.bincount(flat.ravel(), minlength=bins * 4 * length).reshape(bins, 4, length)
    n_bin = np.bincount(which, minlength=bins)
    mean_act = np.bincount(which, weights=acts, minlength=bins) / np.maximum(n_bin, 1)
    filled = n_bin > 0
    pfm = counts[filled] / n_bin[filled, None, None]
    ppm = (pfm * mean_act[filled, None, None]).sum(axis=0)
    return ppm / ppm.sum(axis=0, keepdims=True)


def consensus_activations(model: DNAModel, layer: int, neuron: int, ppms: np.ndarray) -> np.ndarray:
    """The neuron's activation on the argmax consensus of each PPM.

    Parameters
    ----------
    ppms : np.ndarray, shape (P, 4, rf)

    Returns
    -------
    np.ndarray, shape (P,)
    """
    if len(ppms) == 0:
        return np.zeros(0)
    with torch.no_grad():
        acts = model.activations(one_hot(ppms.argmax(axis=1), model.device), layer)[:, neuron]
    return acts.float().cpu().numpy().astype(np.float64)


def information_content(ppm: np.ndarray) -> np.ndarray:
    """Information content in bits of each column against a uniform background.

    ``ppm`` has shape (4, L) or (P, 4, L); the result has shape (L,) or (P, L).
    """
    p = np.clip(ppm, 1e-9, 1.0)
    return 2.0 + (p * np.log2(p)).sum(axis=-2)
