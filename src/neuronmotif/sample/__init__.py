"""Stage 1: sample many sequences that activate each neuron.

Two strategies, as in NeuronMotif:

* exhaustive enumeration of all 4**rf sequences when the receptive field is small
  (:func:`enumerate_exhaustive`);
* otherwise a gradient-guided genetic algorithm (:func:`genetic_sample`), seeded with the CRMs of the
  layer below placed where the neuron's positive input weights look (:func:`initial_population`).

Both run several neurons per batch and are vectorised in torch (no per-sequence or per-base Python
loops). Differences from the published code, each fixing a defect listed in the algorithm notes:

* lower-layer strength per input channel is taken per channel (no neuron-major/channel-minor mix-up);
* only the informative span (>= 3 positions of IC > 1 bit) of a lower-layer CRM is pasted, so
  uninformative CRMs never seed poly-A;
* the gradient step is centred on the current base and normalised per sequence, so the mutation rate
  does not depend on the activation scale; a small uniform mutation rate keeps diversity;
* parents are chosen by a softmax of standardised activations (stronger selection than ``v + 1``),
  from the union of the population and its mutants, so the elite is never lost;
* the search stops when the archive's quality (mean of its best activations) stops improving;
* every random draw comes from a seeded generator.
"""


from .archive import Archive
from .config import SamplingConfig
from .exhaustive import all_sequences, enumerate_exhaustive
from .genetic import genetic_sample
from .seeding import LowerLayerMotifs, entry_probabilities, initial_population

__all__ = ["Archive", "LowerLayerMotifs", "SamplingConfig", "all_sequences", "entry_probabilities",
           "enumerate_exhaustive", "genetic_sample", "initial_population"]
