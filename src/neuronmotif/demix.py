"""Stage 2: demix a neuron's activating sequences into CRMs, backwards through its pooling stages.

Max-pooling lets a lower-layer motif sit at any of ``pool`` offsets, so one neuron's sample is a
mixture. Following NeuronMotif, the sample is clustered by the feature map of the layer just below the
deepest pooling stage, each cluster again by the next layer down, and so on to layer 1
(activation-weighted k-means with ``pool ** motif_nb`` clusters at each stage). Each leaf cluster
becomes one CRM.

``motif_nb`` (the number of independently shifting units) is chosen **per neuron** here. The published
code chose one per layer, accepting it when the *best* CRM's consensus fired the neuron (a t-test over
the layer, no upper bound). That test passes as soon as one spacing of a flexible pair gets a sharp
CRM, while the other spacings stay blurred together in CRMs whose consensus does not fire: the
published demo of a flexible pair had to set motif_nb = 2 by hand. Here each value in
``1..max_motif_nb`` is scored by the share of the sample it *explains*: the sequences whose CRM's
consensus fires the neuron at ``ratio_threshold`` of the cluster maximum. The smallest value that
explains ``min_explained`` of the sample is taken, else the one that explains the most (ties: the
smaller). Smaller clusters always look sharper, so a value is only tried while it makes at most
``max_crms`` CRMs (pool_below ** motif_nb) and the sample still gives ``min_crm_sequences`` sequences
per CRM on average. At default settings, motif_nb = 2 at basset's layer 3 (pools 3 and 4) made 144
CRMs per neuron, doubled the run time and mostly added fragments.
``motif_nb`` in :class:`DemixConfig` fixes the value instead, as the published scripts did.

Feature maps wider than ``max_features`` are reduced by a seeded Gaussian random projection (which
keeps Euclidean distances, hence k-means, approximately intact) so deep layers do not need gigabytes.
Every stage's map is computed once per neuron, in one forward pass, and shared by the motif_nb
candidates and by every cluster (the published code ran the model again for each).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import torch

from .errors import check_range
from .kmeans import weighted_kmeans
from .model import DNAModel
from .ppm import CRM, activation_weighted_ppm, consensus_activations
from .sequences import one_hot


@dataclass
class DemixConfig:
    """Parameters of demixing and CRM building.

    Attributes
    ----------
    max_motif_nb : int
        Upper bound on the number of independently shifting units per neuron.
    ratio_threshold : float
        A CRM explains its sequences when its consensus reaches this share of their maximum activation.
    min_explained : float
        Accept the smallest motif_nb whose CRMs explain this share of the neuron's sample.
    min_crm_sequences : int
        Try a motif_nb above 1 only if the sample gives this many sequences per CRM on average.
    max_crms : int
        Try a motif_nb above 1 only if it makes at most this many CRMs per neuron.
    motif_nb : int or None
        Use this many shifting units for every neuron with pooling below it (None: choose per neuron).
    min_cluster : int
        Clusters smaller than this are not split further.
    max_features : int
        Feature maps with more dimensions are randomly projected to this many.
    ppm_bins : int
        Activation bins of the activation-weighted PPM.
    eval_batch : int
        Sequences per forward pass.
    """

    max_motif_nb: int = 2
    ratio_threshold: float = 0.95
    min_explained: float = 0.9
    min_crm_sequences: int = 500
    max_crms: int = 32
    motif_nb: int | None = None
    min_cluster: int = 50
    max_features: int = 256
    ppm_bins: int = 50
    eval_batch: int = 16384

    def __post_init__(self) -> None:
        check = partial(check_range, "DemixConfig")
        check("max_motif_nb", self.max_motif_nb, 1, 4)
        check("motif_nb", self.motif_nb, 1, 4, optional=True)
        check("ratio_threshold", self.ratio_threshold, 0.0, 1.0)
        check("min_explained", self.min_explained, 0.0, 1.0)
        check("min_crm_sequences", self.min_crm_sequences, 1)
        check("max_crms", self.max_crms, 1)
        check("min_cluster", self.min_cluster, 1)
        check("max_features", self.max_features, 1)
        check("ppm_bins", self.ppm_bins, 1)
        check("eval_batch", self.eval_batch, 1)


def clusters_on_device(model: DNAModel) -> bool:
    """Whether demixing keeps the feature maps on the model's device and runs k-means there: a CUDA GPU (MPS
    has no float64, which the k-means++ draws use; it keeps scikit-learn on the host)."""
    return torch.device(model.device).type == "cuda"


class _StageFeatures:
    """Flattened feature maps (N, D) of the pooling stages below a layer, for all of a neuron's sequences.

    One forward pass up to the deepest stage gives every stage's map; maps wider than
    ``config.max_features`` are randomly projected (one seeded Gaussian matrix per stage). Each motif_nb
    candidate and each cluster then indexes these rows instead of running the model again.
    """

    def __init__(self, model: DNAModel, levels: list[int], tokens: np.ndarray, config: DemixConfig,
                 rng: np.random.Generator):
        chunks: dict[int, list] = {level: [] for level in levels}
        on_device = clusters_on_device(model)
        projections: dict[int, torch.Tensor] = {}
        batch = model.batch_size(max(levels), config.eval_batch, length=tokens.shape[1])
        with torch.no_grad():
            for s in range(0, len(tokens), batch):
                fmaps = model.feature_maps(one_hot(tokens[s:s + batch], model.device), levels)
                for level in levels:
                    flat = fmaps[level].flatten(1).float()
                    if flat.shape[1] > config.max_features:
                        if level not in projections:
                            g = rng.standard_normal((flat.shape[1], config.max_features))
                            projections[level] = torch.as_tensor(g / np.sqrt(config.max_features),
                                                                 dtype=torch.float32, device=flat.device)
                        flat = flat @ projections[level]
                    chunks[level].append(flat if on_device else flat.cpu().numpy())
        join = torch.cat if on_device else np.concatenate
        self._maps = {level: join(parts) for level, parts in chunks.items()}

    def __getitem__(self, level: int) -> np.ndarray | torch.Tensor:
        return self._maps[level]


def _pooling_stages(model: DNAModel, layer: int) -> list[int]:
    """The layers below ``layer`` followed by max-pooling (pool > 1), deepest first."""
    return [level for level in range(layer - 1, 0, -1) if model.layer(level).pool_after > 1]


def _weighted_kmeans(features: np.ndarray | torch.Tensor, weights: np.ndarray, k: int,
                     rng: np.random.Generator) -> np.ndarray:
    """Labels (N,) of activation-weighted k-means (3 seeded k-means++ restarts) on all the rows.

    Rows held on a GPU (the model's device) are clustered there by ``kmeans.weighted_kmeans``, all
    restarts at once; rows on the CPU by scikit-learn. On 2 CPU cores the torch version is no faster
    than scikit-learn's Elkan (equal time and inertia on the demo2 design's 114 fits, BENCHMARKS.md,
    session 16), so CPU runs keep scikit-learn and their results.

    Fitting the centres on a subset (uniform, or drawn in proportion to the weights) and assigning
    every row was 20% faster on the demo2 design but moved its CTCF pair rule off on one seed in two
    (BENCHMARKS.md, session 9), so every row is used. Elkan's algorithm is Lloyd's with the triangle
    inequality skipping distances that cannot change a label: the same iterations and labels (the CRMs
    of 8 demo layer-3 neurons were identical), 14% less demixing time (BENCHMARKS.md, session 11).
    """
    if isinstance(features, torch.Tensor):
        return weighted_kmeans(features, weights, k, rng)
    from sklearn.cluster import KMeans  # scikit-learn loads rich and more: import it only when clustering

    km = KMeans(n_clusters=k, n_init=3, random_state=int(rng.integers(2**31)), algorithm="elkan")
    return km.fit_predict(features, sample_weight=weights)


def split_by_pooling(model: DNAModel, layer: int, tokens: np.ndarray, acts: np.ndarray, motif_nb: int,
                     config: DemixConfig, seed: int,
                     features: _StageFeatures | None = None) -> list[np.ndarray]:
    """Recursive activation-weighted k-means over the pooling stages below ``layer``.

    Parameters
    ----------
    tokens : np.ndarray, shape (N, rf), uint8
    acts : np.ndarray, shape (N,), positive
    motif_nb : int
        Number of independently shifting units: each stage makes ``pool ** motif_nb`` clusters.
    features : _StageFeatures, optional
        The stages' feature maps of these sequences, when already computed (else computed here).

    Returns
    -------
    list of np.ndarray
        Index arrays into ``tokens``, one per leaf cluster (non-empty).
    """
    rng = np.random.default_rng(seed)
    stages = _pooling_stages(model, layer)
    if features is None and stages:
        features = _StageFeatures(model, stages, tokens, config, rng)
    leaves: list[np.ndarray] = []

    def recurse(index: np.ndarray, depth: int) -> None:
        if depth == len(stages):
            leaves.append(index)
            return
        level = stages[depth]
        k = model.layer(level).pool_after ** motif_nb
        if len(index) < max(k, config.min_cluster):
            leaves.append(index)
            return
        labels = _weighted_kmeans(features[level][index], acts[index], k, rng)
        for c in range(k):
            members = index[labels == c]
            if len(members):
                recurse(members, depth + 1)

    recurse(np.arange(len(tokens)), 0)
    return leaves


def build_crms(model: DNAModel, layer: int, neuron: int, tokens: np.ndarray, acts: np.ndarray,
               clusters: list[np.ndarray], config: DemixConfig) -> list[CRM]:
    """One CRM per cluster, with its PPM, maximum and consensus activation."""
    ppms = np.stack([activation_weighted_ppm(tokens[c], acts[c], config.ppm_bins) for c in clusters])
    cons = consensus_activations(model, layer, neuron, ppms)
    return [CRM(neuron=neuron, index=i, ppm=ppms[i], n_sequences=len(c), max_activation=float(acts[c].max()),
                consensus_activation=float(cons[i])) for i, c in enumerate(clusters)]


def explained_share(crms: list[CRM], ratio_threshold: float) -> float:
    """Share of the sample in CRMs whose consensus fires the neuron at ``ratio_threshold`` of their maximum."""
    total = sum(c.n_sequences for c in crms)
    return sum(c.n_sequences for c in crms if c.ratio >= ratio_threshold) / max(total, 1)


def motif_nb_candidates(model: DNAModel, layer: int, n_sequences: int, config: DemixConfig) -> list[int]:
    """The motif_nb values to try for a neuron of ``layer`` with ``n_sequences`` sampled sequences.

    [1] without pooling below the layer; ``config.motif_nb`` when fixed; otherwise 1 and every larger
    value up to ``max_motif_nb`` whose pool_below ** motif_nb CRMs are at most ``max_crms`` and get
    ``min_crm_sequences`` sequences each.
    """
    pool = model.layer(layer).pool_below
    if pool <= 1:
        return [1]
    if config.motif_nb is not None:
        return [config.motif_nb]
    return [1] + [nb for nb in range(2, config.max_motif_nb + 1)
                  if pool ** nb <= config.max_crms and n_sequences >= config.min_crm_sequences * pool ** nb]


def demix_neuron(model: DNAModel, layer: int, neuron: int, tokens: np.ndarray, acts: np.ndarray,
                 config: DemixConfig, seed: int) -> tuple[list[CRM], int]:
    """Demix one neuron's sample into CRMs, choosing motif_nb for this neuron.

    Parameters
    ----------
    tokens : np.ndarray, shape (N, rf), uint8
        Activating sequences (N >= 1).
    acts : np.ndarray, shape (N,)
        Their activations (> 0).

    Returns
    -------
    crms : list of CRM, ordered by decreasing maximum activation
    motif_nb : int
    """
    best: tuple[float, list[CRM], int] | None = None
    stages = _pooling_stages(model, layer)
    features = (_StageFeatures(model, stages, tokens, config, np.random.default_rng([seed, 0]))
                if stages else None)
    for motif_nb in motif_nb_candidates(model, layer, len(tokens), config):
        clusters = split_by_pooling(model, layer, tokens, acts, motif_nb, config, seed + motif_nb, features)
        crms = build_crms(model, layer, neuron, tokens, acts, clusters, config)
        share = explained_share(crms, config.ratio_threshold)
        if best is None or share > best[0] + 1e-12:
            best = (share, crms, motif_nb)
        if share >= config.min_explained:
            break
    _, crms, motif_nb = best
    crms.sort(key=lambda c: -c.max_activation)
    for i, crm in enumerate(crms):
        crm.index = i
    return crms, motif_nb
