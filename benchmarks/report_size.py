"""Size and load time of ``report.html`` for a run directory, and for the same run tiled to Basset size.

The report of a real run directory is built as ``neuronmotif report`` builds it; then its neurons (with
their CRM, dictionary and syntax-tree content and matrices) are copied ``--scale`` times under new neuron
numbers, which gives the page a Basset-sized run's hundreds of neurons and thousands of CRMs without
deciphering one on two cores. Each page is opened in headless chromium (Playwright) and timed:

* ``load``: navigation start to the load event (parsing the embedded data and drawing the first section);
* ``neurons``: building the neuron section (first page of 20 cards, their logos);
* ``search``: filtering all neurons by a TF name and redrawing.

Usage: python benchmarks/report_size.py RUN_DIR [--scale 1 4 8]
"""

from __future__ import annotations

import argparse
import copy
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from neuronmotif.report import collect, page_html  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


def tiled(data: dict, scale: int) -> dict:
    """The report data with every neuron repeated ``scale`` times under new neuron numbers."""
    out = copy.deepcopy(data)
    per_layer = {layer["index"]: layer["out_channels"] for layer in data["layers"]}
    neurons = []
    for k in range(scale):
        for n in data["neurons"]:
            number = n["neuron"] + k * per_layer[n["layer"]]
            old, new = f"L{n['layer']}_N{n['neuron']}_", f"L{n['layer']}_N{number}_"
            twin = copy.deepcopy(n)
            twin.update(id=f"L{n['layer']}_N{number}", neuron=number)
            for item in twin["crms"] + twin["dictionary"]:
                key = "crm" if "crm" in item else "motif"
                item[key] = item[key].replace(old, new)
                out["matrices"][item[key]] = data["matrices"].get(item[key].replace(new, old), [])
            neurons.append(twin)
    out["neurons"] = sorted(neurons, key=lambda n: (n["layer"], n["neuron"]))
    for order, n in enumerate(out["neurons"]):
        n["order"] = order
    for layer in out["layers"]:
        layer["out_channels"] *= scale
        layer["n_crms"] *= scale
    return out


def browser_times(path: Path, query: str) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(path.as_uri(), wait_until="load")
        load = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
        click = page.evaluate("""() => { const t = performance.now();
            document.querySelector('nav button[data-section=neurons]').click();
            document.body.offsetHeight; return performance.now() - t; }""")
        search = page.evaluate("""(q) => { const box = document.getElementById('neuron-search');
            const t = performance.now(); box.value = q; box.dispatchEvent(new Event('input'));
            document.body.offsetHeight; return performance.now() - t; }""", query)
        browser.close()
    return {"load": load / 1000, "neurons": click / 1000, "search": search / 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--scale", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--query", default="FOX", help="TF name typed into the neuron search")
    args = parser.parse_args()
    start = time.perf_counter()
    data = collect(args.run_dir)
    read = time.perf_counter() - start
    print(f"{platform.node()} · {platform.processor() or platform.machine()} · run {args.run_dir}")
    print(f"collect (read the run directory): {read:.2f} s")
    print("| scale | neurons | CRMs | report MB | write s | load s | neuron section s | search s |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for scale in args.scale:
            scaled = tiled(data, scale) if scale > 1 else data
            start = time.perf_counter()
            path = Path(tmp) / f"report_x{scale}.html"
            path.write_text(page_html(scaled))
            write = time.perf_counter() - start
            times = browser_times(path, args.query)
            n_crms = sum(len(n["crms"]) for n in scaled["neurons"])
            print(f"| {scale} | {len(scaled['neurons'])} | {n_crms} | {path.stat().st_size / 1e6:.1f} | {write:.2f} | "
                  f"{times['load']:.2f} | {times['neurons']:.2f} | {times['search']:.2f} |")


if __name__ == "__main__":
    main()
