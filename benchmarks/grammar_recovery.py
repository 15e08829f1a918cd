"""Ground truth: does neuronmotif recover planted motifs and grammar, next to DeepLIFT/SHAP + TF-MoDISco?

For each model of the zoo (trained once on planted JASPAR grammar and cached, see
``nmbench.zoo``) both methods run in their own process, timed, with their peak RSS:

* neuronmotif: ``neuronmotif run`` on every layer, motifs named with JASPAR2024 as a user would;
* baseline: tangermeme DeepLIFT/SHAP of each task's output on its positives, then modisco-lite.

Both reports are scored by ``nmbench.scoring.score`` (TOMTOM q < 0.05 to the planted PWMs, grammar
within 1 bp). Prints one table per model and writes ``results.json`` and ``results.md`` to ``--out``.

    python benchmarks/grammar_recovery.py            # every zoo model, default settings
    python benchmarks/grammar_recovery.py --quick --models basset-C,bd10-C   # a held-out grammar set (also D-F)
    python benchmarks/grammar_recovery.py --quick    # basset-A and bd10-B, lighter settings (< 10 min on 2 cores)
"""

from __future__ import annotations

import argparse
import json
import pickle
import platform
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch
from nmbench.baseline import BaselineConfig, run_baseline
from nmbench.rule_scoring import read_rules, score_rules
from nmbench.scoring import Report, run_report, score
from nmbench.zoo import ZOO, cached_model

from neuronmotif.annotate import annotate
from neuronmotif.datasets.demo import planted_database, truth_table, voters_by_task
from neuronmotif.datasets.simulate import SimulatedData
from neuronmotif.model import DNAModel
from neuronmotif.motifs import MotifDatabase
from neuronmotif.pipeline import RunConfig, run
from neuronmotif.sample import SamplingConfig
from neuronmotif.versions import versions

QUICK_MODELS = ["basset-A", "bd10-B"]
METHODS = ["neuronmotif", "baseline"]


def method_settings(quick: bool, seed: int = 0) -> tuple[RunConfig, BaselineConfig]:
    """Settings of both methods; --quick lightens both (fewer GA generations; fewer sequences and restarts).

    ``seed`` is neuronmotif's run seed (the zoo models are always trained with seed 0).
    """
    if quick:
        return (RunConfig(sampling=SamplingConfig(max_iter=30, patience=5, max_samples=20_000), seed=seed),
                BaselineConfig(max_positives=1000, n_shuffles=10, n_leiden_runs=10))
    return RunConfig(seed=seed), BaselineConfig()


def peak_rss_gb() -> float:
    """Peak RSS (GB) of this process or any child it waited for (modisco-lite forks workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024 ** 2


def child(method: str, model_name: str, out: Path, quick: bool, seed: int) -> None:
    """Run one method on one model (in its own process) and pickle its report with time and memory."""
    torch.set_num_threads(2)
    entry = ZOO[model_name]
    model, _ = cached_model(entry)
    data = entry.data()
    config, baseline = method_settings(quick, seed)
    start = time.perf_counter()
    if method == "neuronmotif":
        shutil.rmtree(out / "neuronmotif", ignore_errors=True)  # a run with the same parameters would resume
        run(DNAModel(model), out / "neuronmotif", config=config, overwrite=True, source=f"zoo:{entry.name}",
            progress=False)
        reports = [run_report(out / "neuronmotif", "neuronmotif (all network motifs)"),
                   run_report(out / "neuronmotif", "neuronmotif (motifs of >= 2 neurons)", min_neurons=2)]
        settings = config.parameters()
    else:
        reports = [run_baseline(model, data.tokens, data.labels, baseline)]
        settings = baseline.parameters()
    seconds = time.perf_counter() - start
    peak = peak_rss_gb()
    pairs = planted_pair_spacings(model, data, out / "neuronmotif") if method == "neuronmotif" else []
    rules = rule_figures(out / "neuronmotif", data, seconds) if method == "neuronmotif" else None
    with open(out / f"{method}.pkl", "wb") as fh:
        pickle.dump({"reports": reports, "seconds": seconds, "peak_rss_gb": peak, "settings": settings,
                     "pairs": pairs, "rules": rules}, fh)


def rule_figures(run_dir: Path, data: SimulatedData, seconds: float, top: int = 10) -> dict:
    """The ranked rules scored against the planted grammar (nmbench.rule_scoring), and their share of the run."""
    found = score_rules(read_rules(run_dir, planted_database(data)), data.grammars, top=top)
    multi = [g.name for g in data.grammars if len(g.motifs) > 1]
    pairs = [g.name for g in data.grammars if len(g.motifs) == 2]
    doc = json.loads((run_dir / "rules.json").read_text())
    return {"in_top": f"{sum(found.in_top(g.name) for g in data.grammars)}/{len(data.grammars)}",
            "spacing": f"{sum(found.spacing_ok[g] for g in multi)}/{len(multi)}",
            "peak": f"{sum(found.peak_ok[g] for g in pairs)}/{len(pairs)}",
            "peaks": {g: (r.peak if r else None) for g, r in found.found.items() if g in pairs},
            "false_top": len(found.false_top), "top": top,
            "ranks": {g: (r.rank if r else None) for g, r in found.found.items()},
            "gaps": {g: (list(r.gaps) if r and r.gaps else None) for g, r in found.found.items() if g in multi},
            "chain_parts": {g: (f"R{r.rank} {r.label}" if r else None) for g, r in found.parts.items()},
            "false": [r.label for r in found.false_top],
            "rules_seconds": round(doc["seconds"], 1), "share": round(doc["seconds"] / seconds, 3)}


def planted_pair_spacings(model, data: SimulatedData, run_dir: Path) -> list[str]:
    """neuronmotif's own pair report (untimed): the demo truth table's pair rows, with the spacing pooled
    over the last layer's neurons that vote for each task (named with the planted matrices)."""
    dna = DNAModel(model)
    annotation = annotate(run_dir, db=planted_database(data), write=False)
    rows = truth_table(annotation, data, voters_by_task(dna, data, len(dna.layers)))
    return [f"{r.tf}: {r.detail}" for r in rows if r.planted not in data.ppms]  # the pair rows


def run_child(method: str, model_name: str, out: Path, quick: bool, seed: int) -> dict:
    cmd = [sys.executable, __file__, "--child", method, model_name, "--out", str(out), "--seed", str(seed)]
    cmd += ["--quick"] if quick else []
    subprocess.run(cmd, check=True)
    with open(out / f"{method}.pkl", "rb") as fh:
        return pickle.load(fh)


def benchmark_model(model_name: str, out: Path, quick: bool, methods: list[str], seed: int) -> dict:
    entry = ZOO[model_name]
    start = time.perf_counter()
    _, meta = cached_model(entry)
    print(f"\n## {model_name}: {entry.architecture}, grammar set {entry.grammar_set}, validation AUROC "
          + ", ".join(f"{a:.3f}" for a in meta["valid_auroc"])
          + f" (trained in {meta['train_seconds']} s; loaded in {time.perf_counter() - start:.1f} s)", flush=True)
    data = entry.data()
    planted = planted_database(data)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for method in methods:
        result = run_child(method, model_name, out, quick, seed)
        for report in result["reports"]:
            rows.append(table_row(report, result, planted, data))
        for line in result.get("pairs", []):
            print(f"    pair spacing reported: {line}", flush=True)
        if result.get("rules"):
            r = result["rules"]
            print(f"    rules: planted in top {r['top']} {r['in_top']} (ranks {r['ranks']}), spacing {r['spacing']} "
                  f"{r['gaps']}, peak in the planted range {r['peak']} {r['peaks']}; false rules in top {r['top']}: "
                  f"{r['false_top']} {r['false']}; rule stage "
                  f"{r['rules_seconds']} s = {100 * r['share']:.0f}% of the run", flush=True)
            rows[-1]["rules"] = r
        if result.get("pairs"):
            rows[-1]["pair_spacings"] = result["pairs"]
    return {"model": model_name, "entry": asdict(entry), "valid_auroc": meta["valid_auroc"],
            "train_seconds": meta["train_seconds"], "grammars": [g.name for g in data.grammars], "rows": rows}


def table_row(report: Report, result: dict, planted: MotifDatabase, data: SimulatedData) -> dict:
    """Score one report and print its table row with what it missed and where it saw each pair."""
    s = score(report, planted, data.grammars)
    row = {**s.row(), "method": report.method, "seconds": round(result["seconds"], 1),
           "peak_rss_gb": round(result["peak_rss_gb"], 2),
           "recovered": {m: f"{data.names[m]} q={q:.1e}" for m, q in s.recovered.items()},
           "missed": [f"{m} {data.names[m]}" for m in planted.ids if m not in s.recovered],
           "false": s.false_motifs,
           "grammar_hits": {g: sorted({f"{h.pattern} gap {h.gap}" for h in hits})[:5] for g, hits in s.grammar.items()},
           "settings": result["settings"]}
    print(f"| {row['method']} | {row['motifs_recovered']} | {row['grammar_recovered']} | {row['false_motifs']} "
          f"| {row['seconds']} | {row['peak_rss_gb']} |", flush=True)
    print(f"    missed: {row['missed'] or 'none'}; grammar: "
          + "; ".join(f"{g}: {', '.join(h[:2]) or 'not found'}" for g, h in row["grammar_hits"].items()), flush=True)
    return row


def markdown(results: list[dict], quick: bool, seconds: float) -> str:
    lines = [f"Mode: {'--quick' if quick else 'full'}; total {seconds / 60:.1f} min on {platform.machine()}, "
             f"{torch.get_num_threads()} torch threads; versions: "
             + ", ".join(f"{k} {v}" for k, v in versions().items()), ""]
    for r in results:
        e = r["entry"]
        lines += [f"### {r['model']} ({e['architecture']}, {e['channels']} channels per conv layer, grammar set "
                  f"{e['grammar_set']}: {', '.join(r['grammars'])}; validation AUROC "
                  + ", ".join(f"{a:.3f}" for a in r["valid_auroc"]) + ")", "",
                  "| method | motifs recovered | grammar recovered | false motifs (of informative) | wall s "
                  "| peak RSS GB |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {x['method']} | {x['motifs_recovered']} | {x['grammar_recovered']} | {x['false_motifs']} | "
                  f"{x['seconds']} | {x['peak_rss_gb']} |" for x in r["rows"]]
        lines.append("")
        for x in r["rows"]:
            if x.get("rules"):
                q = x["rules"]
                lines += [f"Rules (`rules.tsv`): planted rules in the top {q['top']}: {q['in_top']} (ranks "
                          f"{q['ranks']}); spacing right: {q['spacing']} (planted frame {q['gaps']}); peak gap in "
                          f"the planted range: {q['peak']} {q['peaks']}; false rules in "
                          f"the top {q['top']}: {q['false_top']} {q['false']}; rule stage {q['rules_seconds']} s "
                          f"({100 * q['share']:.0f}% of the run).", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="basset-A and bd10-B with lighter settings")
    parser.add_argument("--models", help=f"comma-separated zoo models (default: all of {', '.join(ZOO)})")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated, of " + ", ".join(METHODS))
    parser.add_argument("--out", default="bench_out/grammar_recovery", help="output folder")
    parser.add_argument("--seed", type=int, default=0, help="neuronmotif's run seed (default 0)")
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    out = Path(args.out)
    if args.child:
        method, model_name = args.child
        child(method, model_name, out, args.quick, args.seed)
        return
    names = args.models.split(",") if args.models else (QUICK_MODELS if args.quick else list(ZOO))
    unknown = [n for n in names if n not in ZOO]
    if unknown:
        sys.exit(f"unknown zoo model(s) {unknown}; choose from {list(ZOO)}")
    methods = args.methods.split(",")
    if set(methods) - set(METHODS):
        sys.exit(f"unknown method(s) {sorted(set(methods) - set(METHODS))}; choose from {METHODS}")
    start = time.perf_counter()
    results = [benchmark_model(n, out / n, args.quick, methods, args.seed) for n in names]
    seconds = time.perf_counter() - start
    out.mkdir(parents=True, exist_ok=True)
    summary = {"quick": args.quick, "seed": args.seed, "seconds": seconds, "versions": versions(), "results": results}
    (out / "results.json").write_text(json.dumps(summary, indent=1, default=str))
    text = markdown(results, args.quick, seconds)
    (out / "results.md").write_text(text)
    print("\n" + text)


if __name__ == "__main__":
    main()

