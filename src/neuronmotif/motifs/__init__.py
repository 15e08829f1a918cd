"""Known motifs and motif statistics: databases (JASPAR, MEME files), TOMTOM with sound background and
BH q-values, and naming (matching to known motifs)."""

from .databases import JASPAR_RELEASES, MotifDatabase, jaspar_motif, jaspar_motifs, load_motif_db
from .match import MATCH_COLUMNS, Match, match_known

__all__ = ["JASPAR_RELEASES", "MATCH_COLUMNS", "Match", "MotifDatabase", "jaspar_motif", "jaspar_motifs",
           "load_motif_db", "match_known"]
