"""Command-line interface: ``neuronmotif run | describe | demo``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from statistics import median

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .cliparams import LayerSettings, PerLayerType, ThreadChoice, choose_threads, parse_other_inputs, worker_threads
from .errors import NeuronMotifError
from .store import NeuronResult

# Piped or captured output gets 120 columns, so tables are not cut to 80 (a terminal keeps its own width).
console = Console(width=None if sys.stdout.isatty() else 120)
err_console = Console(stderr=True)


def _user_errors(fn: Callable) -> Callable:
    """Print user errors as one sentence (exit 2); ``--debug`` shows the traceback instead."""

    @wraps(fn)
    def wrapper(*args, debug: bool = False, **kwargs):
        try:
            return fn(*args, **kwargs)
        except NeuronMotifError as exc:
            if debug:
                raise
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            sys.exit(2)

    return click.option("--debug", is_flag=True, help="Show the full traceback of errors.")(wrapper)


def _model_options(fn: Callable, required: bool = True) -> Callable:
    options = [
        click.argument("model", required=required),
        click.option("--weights", type=click.Path(), help="state_dict (.pt) for a FILE.py:Class model."),
        click.option("--model-kwargs", help="JSON object of keyword arguments for the model class."),
        click.option("--keras-config", type=click.Path(), help="model.to_json() file for a weights-only Keras .h5."),
        click.option("--input-layout", type=click.Choice(["NCL", "NLC"]), default="NCL", show_default=True,
                     help="Whether the model takes (N, 4, L) or (N, L, 4) one-hot input."),
        click.option("--alphabet", default="ACGT", show_default=True,
                     help="The model's channel order of the four bases (DeepSEA-family models: AGCT)."),
        click.option("--device", default="cpu", show_default=True, help="cpu, cuda, cuda:1 or mps."),
        click.option("--threads", type=click.IntRange(1, 1024), default=None,
                     help="CPU threads for torch, numpy and TOMTOM (default: $NEURONMOTIF_THREADS, else the cores "
                          "idle at the start)."),
        click.option("--other-input", "other_input", multiple=True, metavar="NAME=VALUE",
                     help="Value of a model input after the DNA (e.g. features=0, or features=f.npy for one "
                          "sample's array); repeatable. Default: zeros where the shape is declared (Keras)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _positives_option(fn: Callable) -> Callable:
    return click.option("--positives", type=click.Path(), default=None,
                        help="FASTA of sequences the model scores high: rule backgrounds follow their dinucleotide "
                             "statistics (default: uniform bases).")(fn)


def _rules_config(seed: int, positives: str | None):
    from .rules import RulesConfig
    from .rules.backgrounds import dinucleotide_background

    return RulesConfig(seed=seed, transitions=dinucleotide_background(positives) if positives else None)


def _optional_model_options(fn: Callable) -> Callable:
    return _model_options(fn, required=False)


def _set_threads(threads: int | None, workers: int | None = None) -> ThreadChoice:
    """Limit the threads (:func:`~neuronmotif.cliparams.choose_threads`) and say why when not asked to."""
    choice = choose_threads(threads, workers)
    if choice.message:
        _log(choice.message)
    return choice


def _load_model(model, weights, model_kwargs, keras_config, input_layout, alphabet, device, other_input=()):
    from .model.loading import load_model

    return load_model(model, weights=weights, model_kwargs=model_kwargs, keras_config=keras_config,
                      alphabet=alphabet, input_layout=input_layout, device=device,
                      other_inputs=parse_other_inputs(other_input))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="neuronmotif")
def main() -> None:
    """Decipher every convolutional neuron of a DNA CNN into motifs and grammar (NeuronMotif).

    MODEL is FILE.py:ClassName (with --weights), a torch.export .pt2 file, or a Keras .h5 file.
    A .pt2 file is unpickled and FILE.py runs its code: load them only from sources you trust.
    """


@main.command()
@_model_options
@_user_errors
def describe(model, weights, model_kwargs, keras_config, input_layout, alphabet, device, threads, other_input
             ) -> None:
    """Print the conv layer table of MODEL: channels, kernel, pooling and receptive field of each layer.

    \b
    MODEL is one of
      FILE.py:ClassName   with --weights state_dict.pt (and --model-kwargs JSON)
      model.pt2           a torch.export program
      model.h5            a Keras 2 HDF5 save (or weights.h5 with --keras-config model.json)

    \b
    Example:
      neuronmotif describe model.py:MyCNN --weights w.pt
    """
    _set_threads(threads)
    dna = _load_model(model, weights, model_kwargs, keras_config, input_layout, alphabet, device, other_input)
    table = Table(title=f"{model}: {len(dna.layers)} conv layers")
    for col in ("layer", "module", "in", "out", "kernel", "pool after", "pool below", "RF (bp)", "activation"):
        table.add_column(col)
    for layer in dna.layers:
        table.add_row(str(layer.index), layer.name, str(layer.in_channels), str(layer.out_channels),
                      str(layer.kernel_size), str(layer.pool_after), str(layer.pool_below), str(layer.rf),
                      layer.activation)
    console.print(table)
    for name, value in dna.other_inputs.items():
        held = "not given: the head is not run (pass --other-input)" if value is None else (
            f"held at {value.flatten()[:4].tolist()}{'...' if value.numel() > 4 else ''} (shape {tuple(value.shape)})")
        console.print(f"other input '{name}': {held}")


@main.command("run")
@_model_options
@click.option("-o", "--out", required=True, type=click.Path(), help="Run directory (created; resumed if it exists).")
@click.option("--layers", default=None, help="Layers to decipher, e.g. 1-3 or 2,4 (default: all).")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True,
              help="Seed of every random step.")
@click.option("--max-samples", type=PerLayerType(click.IntRange(1)), default="100000", show_default=True,
              help="Cap on sampled sequences per neuron. Per layer: 5=200000 (also for the options below).")
@click.option("--population", type=PerLayerType(click.IntRange(10)), default=None,
              help="GA population per neuron (default: clip(RF/20*1000, 2000, 5000)).")
@click.option("--max-iter", type=PerLayerType(click.IntRange(1)), default="200", show_default=True,
              help="Maximum GA generations.")
@click.option("--patience", type=PerLayerType(click.IntRange(0)), default="10", show_default=True,
              help="Stop the GA after this many generations without archive improvement.")
@click.option("--exhaustive-max-rf", type=click.IntRange(0, 14), default=10, show_default=True,
              help="Enumerate all 4^RF sequences when the receptive field is at most this many bp "
                   "(at most 14: 4^14 = 268 million sequences).")
@click.option("--max-motif-nb", type=PerLayerType(click.IntRange(1, 4)), default="2", show_default=True,
              help="Upper bound on independently shifting units per neuron when demixing.")
@click.option("--motif-nb", type=PerLayerType(click.IntRange(1, 4)), default=None,
              help="Use this many shifting units (default: chosen per neuron); 5=2: at layer 5 only, as the "
                   "published demo2 did.")
@click.option("--max-crms", type=PerLayerType(click.IntRange(1)), default="32", show_default=True,
              help="When motif_nb is chosen per neuron, try a value only if it makes at most this many CRMs "
                   "(pool_below ** motif_nb).")
@click.option("--neuron-batch", type=click.IntRange(1), default=None, help="Neurons searched together by the GA.")
@click.option("--workers", type=click.IntRange(1), default=None,
              help="Run neuron batches on a Dask LocalCluster of this many worker processes (default: in process).")
@click.option("--scheduler", default=None, help="Run neuron batches on the Dask cluster at tcp://HOST:PORT.")
@click.option("--keep-samples", is_flag=True, help="Keep sampled sequences and activations (layer_<l>/samples/).")
@click.option("--motif-db", default="JASPAR2024", show_default=True,
              help="Known motifs for naming: JASPAR2022, JASPAR2024 or JASPAR2026 (CORE vertebrates) or a .meme file.")
@click.option("--ic-min", type=click.FloatRange(0, 2), default=1.0, show_default=True,
              help="Bits of (smoothed) information that mark a motif column.")
@click.option("--rules/--no-rules", default=True, show_default=True,
              help="Verify the grammar's rules by inserting them into backgrounds (rules.tsv).")
@_positives_option
@click.option("--overwrite", is_flag=True, help="Replace a run directory made with another model or parameters.")
@click.option("--quiet", is_flag=True, help="No progress output.")
@_user_errors
def run_command(model, weights, model_kwargs, keras_config, input_layout, alphabet, device, threads, other_input,
                out, layers,
                seed, max_samples, population, max_iter, patience, exhaustive_max_rf, max_motif_nb, motif_nb,
                max_crms, neuron_batch, workers, scheduler, keep_samples, motif_db, ic_min, rules, positives,
                overwrite, quiet) -> None:
    """Decipher MODEL into the run directory OUT: sample, demix and build CRMs for every neuron of the
    chosen layers, then name motifs and build the grammar.

    \b
    MODEL is one of
      FILE.py:ClassName   with --weights state_dict.pt (and --model-kwargs JSON)
      model.pt2           a torch.export program
      model.h5            a Keras 2 HDF5 save (or weights.h5 with --keras-config model.json)

    \b
    Examples:
      neuronmotif run model.py:MyCNN --weights w.pt -o out/
      neuronmotif run model.pt2 -o out/ --layers 1-3 --device cuda --seed 1
      neuronmotif run deepsea.h5 -o out/ --alphabet AGCT

    Re-running the same command resumes an interrupted run.
    """
    from .annotate import AnnotateConfig
    from .cluster import ClusterConfig
    from .demix import DemixConfig
    from .motifs import load_motif_db
    from .pipeline import RunConfig, parse_layers, run
    from .sample import SamplingConfig
    from .segment import SegmentConfig

    db = load_motif_db(motif_db)
    threads_chosen = _set_threads(threads, workers)
    dna = _load_model(model, weights, model_kwargs, keras_config, input_layout, alphabet, device, other_input)
    chosen = parse_layers(layers, len(dna.layers))
    settings = LayerSettings({
        "sampling.max_samples": ("--max-samples", max_samples), "sampling.population": ("--population", population),
        "sampling.max_iter": ("--max-iter", max_iter), "sampling.patience": ("--patience", patience),
        "demix.max_motif_nb": ("--max-motif-nb", max_motif_nb), "demix.motif_nb": ("--motif-nb", motif_nb),
        "demix.max_crms": ("--max-crms", max_crms)})
    config = RunConfig(
        sampling=SamplingConfig(exhaustive_max_rf=exhaustive_max_rf, **settings.everywhere("sampling")),
        demix=DemixConfig(**settings.everywhere("demix")), seed=seed, neuron_batch=neuron_batch,
        keep_samples=keep_samples, per_layer=settings.per_layer(len(dna.layers)))
    annotation = AnnotateConfig(segment=SegmentConfig(ic_min=ic_min), motif_db=motif_db)
    result = run(dna, out, layers=chosen, config=config, overwrite=overwrite, source=model,
                 console=err_console, progress=not quiet, grammar=annotation, motif_db=db,
                 rules=_rules_config(seed, positives) if rules else None,
                 cluster=ClusterConfig(workers=workers, scheduler=scheduler,
                                         threads=worker_threads(threads_chosen, workers)))
    print_layer_summary(result.neurons)
    print_motif_summary(result.annotation)
    if result.rules is not None:
        print_rules_summary(result.rules)
    _print_paths(out, result.report)


@main.command()
@click.argument("out", type=click.Path())
@_optional_model_options
@click.option("--motif-db", default="JASPAR2024", show_default=True,
              help="Known motifs for naming: JASPAR2022, JASPAR2024 or JASPAR2026 (CORE vertebrates) or a .meme file.")
@click.option("--match-q", type=click.FloatRange(0, 1, min_open=True), default=0.05, show_default=True,
              help="Report known-motif matches below this q-value.")
@click.option("--ic-min", type=click.FloatRange(0, 2), default=1.0, show_default=True,
              help="Bits of (smoothed) information that mark a motif column.")
@_positives_option
@click.option("--quiet", is_flag=True, help="No progress output.")
@_user_errors
def grammar(out, model, weights, model_kwargs, keras_config, input_layout, alphabet, device, threads, other_input,
            motif_db,
            match_q, ic_min, positives, quiet) -> None:
    """(Re)build motif dictionaries, known-motif names and syntax trees of an existing run directory OUT,
    and verify its rules with MODEL (the model the run deciphered, in the same forms as for `run`).

    \b
    Without MODEL only the dictionaries, names and trees are rebuilt, and rules files left by an earlier
    run are removed (their motif ids would no longer match motifs.meme).
    """
    from .annotate import AnnotateConfig, annotate
    from .pipeline import verify_rules
    from .report import write_report
    from .segment import SegmentConfig
    from .store import RunDirectory

    _set_threads(threads)
    store = RunDirectory(out)
    dna = _load_model(model, weights, model_kwargs, keras_config, input_layout, alphabet, device,
                      other_input) if model else None
    if dna is not None and store.manifest().get("model_fingerprint") not in (None, dna.fingerprint()):
        raise NeuronMotifError(f"{model} is not the model that made '{out}' (its weights differ from the "
                               "fingerprint in run.json); pass the model the run deciphered.")
    config = AnnotateConfig(segment=SegmentConfig(ic_min=ic_min), motif_db=motif_db, match_q=match_q)
    log = None if quiet else _log
    with store.lock():
        annotation = annotate(out, config, log=log)
        found = verify_rules(store, annotation, dna, _rules_config(store.manifest().get("seed") or 0, positives),
                             log) if dna is not None else None
        if found is None:
            for name in ("rules.tsv", "rules.json", "rules_unverified.tsv"):
                (store.path / name).unlink(missing_ok=True)
        report = write_report(store.path)
    print_motif_summary(annotation)
    if found is not None:
        print_rules_summary(found)
    else:
        console.print("rules not verified: pass the run's MODEL to `neuronmotif grammar` to verify them")
    _print_paths(out, report)


@main.command()
@click.argument("out", type=click.Path())
@_user_errors
def report(out) -> None:
    """Write OUT/report.html, one offline page of the run directory OUT (finished or not): the model and
    its neurons' status, the rules with their spacing curves, the motif atlas, and every neuron's CRMs,
    dictionary and syntax trees.

    It only reads the run's files and replaces report.html in one rename, so it takes no lock: it works
    while a run is still writing to OUT."""
    from .report import write_report

    console.print(f"report: [bold]{write_report(out)}[/]")


@main.command()
@click.option("-o", "--out", default="demo_out", show_default=True, type=click.Path(), help="Run directory.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True,
              help="Seed of the simulation, training and run.")
@click.option("--overwrite", is_flag=True, help="Replace an existing demo run directory.")
@click.option("--quiet", is_flag=True, help="No progress output.")
@_user_errors
def demo(out, seed, overwrite, quiet) -> None:
    """Plant JASPAR motifs, train a small CNN, decipher every layer and compare with the truth."""
    from .datasets.demo import DEMO_GRAMMARS, run_demo, summary_rows
    from .report import REPORT_NAME

    _set_threads(None)
    console.print("[bold]neuronmotif demo[/]: " + "; ".join(
        f"{g.name} ({' '.join(g.motifs)})" for g in DEMO_GRAMMARS))
    results, annotation, found, rows, aurocs = run_demo(out, seed=seed, overwrite=overwrite, progress=not quiet,
                                                        console=err_console)
    console.print("validation AUROC per task: " + ", ".join(f"{a:.3f}" for a in aurocs))
    print_layer_summary(results)
    print_motif_summary(annotation)
    print_rules_summary(found)
    table = Table(title="The truth: planted motifs and pair, matched to the planted matrices")
    for col in ("planted", "TF", "found as", "detail"):
        table.add_column(col)
    for row in summary_rows(rows):
        table.add_row(*row)
    console.print(table)
    _print_paths(out, Path(out) / REPORT_NAME)


def _print_paths(out, report) -> None:
    console.print(f"results in [bold]{out}[/]")
    if report is not None:
        console.print(f"report: [bold]{report}[/] (open it in a browser)")


def _log(message: str) -> None:
    err_console.print(message, highlight=False, markup=False)


def print_motif_summary(annotation) -> None:
    """Distinct motifs and the top named motifs of each layer."""
    from .summary import summarize

    table = Table(title=f"Motifs per layer (names: {annotation.db_source})")
    for col in ("layer", "motifs", "top named motifs (neurons)"):
        table.add_column(col)
    for row in summarize(annotation):
        table.add_row(str(row.layer), str(row.n_motifs),
                      ", ".join(f"{n} ({c})" for n, c in row.named) or escape(row.note) or "-")
    console.print(table)


def print_rules_summary(found, top: int = 10) -> None:
    """The network's top rules, verified by the model (the rows of rules.tsv)."""
    from .summary import rule_lines

    table = Table(title=f"The network's rules, verified by inserting them into backgrounds (top {top}; rules.tsv)")
    for col in ("rule", "motifs and spacing", "spacing", "drives", "effect", "q"):
        table.add_column(col)
    for line in rule_lines(found, top):
        table.add_row(*(escape(x) for x in line))
    if not found.rules:
        table.add_row("-", "no rule: no motif or pair moved the model significantly (see rules_unverified.tsv)",
                      "", "", "", "")
    console.print(table)


def print_layer_summary(results: dict[int, list[NeuronResult]]) -> None:
    table = Table(title="Neurons per layer")
    for col in ("layer", "neurons", "ok", "sick", "dead", "CRMs", "median C/M", "s/neuron"):
        table.add_column(col)
    for layer, rs in sorted(results.items()):
        alive = [r for r in rs if r.status != "dead"]
        table.add_row(str(layer), str(len(rs)), *(str(sum(r.status == s for r in rs)) for s in ("ok", "sick", "dead")),
                      str(sum(len(r.crms) for r in rs)), f"{median(r.ratio for r in alive):.2f}" if alive else "-",
                      f"{median(r.seconds for r in rs):.2f}")
    console.print(table)


if __name__ == "__main__":
    main()
