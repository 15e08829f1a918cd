"""The identifiers every output file uses for CRMs, motifs, combinations and segments (a leaf module).

Layers are 1-based, neurons, CRMs, motifs and combinations 0-based:

* ``L<l>_N<n>_C<c>``: CRM c of neuron n of layer l;
* ``L<l>_N<n>_M<m>``: motif m of that neuron's dictionary;
* ``L<l>_N<n>_S<k>``: its k-th combination (syntax);
* ``L<l>_N<n>_C<c>_<start>_<end>``: the segment of CRM c over columns ``[start, end)``.
"""

from __future__ import annotations


def crm_name(layer: int, neuron: int, index: int) -> str:
    """'L<l>_N<n>_C<c>', the name of a CRM in every output file."""
    return f"L{layer}_N{neuron}_C{index}"


def motif_name(layer: int, neuron: int, index: int) -> str:
    """'L<l>_N<n>_M<m>', a neuron's dictionary motif."""
    return f"L{layer}_N{neuron}_M{index}"


def combination_id(layer: int, neuron: int, index: int) -> str:
    """'L<l>_N<n>_S<k>', the name of a neuron's k-th combination."""
    return f"L{layer}_N{neuron}_S{index}"


def segment_name(layer: int, neuron: int, crm_index: int, start: int, end: int) -> str:
    """'L<l>_N<n>_C<c>_<start>_<end>', a CRM segment over columns [start, end)."""
    return f"{crm_name(layer, neuron, crm_index)}_{start}_{end}"
