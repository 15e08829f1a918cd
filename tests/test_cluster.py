"""Neuron batches on a real Dask ``LocalCluster`` of 2 worker processes (issue #17, part 4).

The files must be byte-identical to the in-process run with the same seed and threads per process, also
when a worker is killed mid-layer (its batch is redone elsewhere) and when a cluster run resumes. The
in-process reference is a fresh `neuronmotif run --threads 1`, because torch's kernels follow the thread
count they are first run with, as each worker's are.
"""

import os
import subprocess
import sys
import threading
import time

import pytest

from helpers.cli import TOY

pytest.importorskip("distributed")
FILES = [f"layer_{layer}/{name}" for layer in (1, 2) for name in ("crms.meme", "crms.tsv")]
ARGS = ["--population", "1000", "--max-iter", "80", "--max-samples", "20000", "--neuron-batch", "1",
        "--threads", "1", "--no-rules", "--quiet"]


def _cli(weights, out, *extra):
    subprocess.run([sys.executable, "-m", "neuronmotif.cli", "run", f"{TOY}:FunctionalCNN", "--weights", weights,
                    "-o", str(out), *ARGS, *extra], check=True, capture_output=True, timeout=600)


@pytest.fixture(scope="module")
def in_process(weights, tmp_path_factory):
    out = tmp_path_factory.mktemp("in_process") / "run"
    _cli(weights, out)
    return out


def _same_files(a, b) -> None:
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), f"{name} differs from the in-process run"


def test_two_layers_on_a_local_cluster_equal_the_in_process_run_and_resume(weights, in_process, tmp_path):
    out = tmp_path / "cluster"
    _cli(weights, out, "--workers", "2", "--layers", "1")
    layer_1 = (out / "layer_1" / "crms.meme").stat().st_mtime_ns
    _cli(weights, out, "--workers", "2")
    assert (out / "layer_1" / "crms.meme").stat().st_mtime_ns == layer_1, "the finished layer was recomputed"
    _same_files(out, in_process)


def test_a_worker_killed_mid_layer_loses_only_its_batch(weights, in_process, tmp_path, monkeypatch):
    from neuronmotif.cluster import ClusterConfig, DaskBatches
    from neuronmotif.model import load_model
    from neuronmotif.pipeline import RunConfig, run
    from neuronmotif.sample import SamplingConfig

    out = tmp_path / "killed"
    killed: list[int] = []
    original_run = DaskBatches.run

    def run_and_kill(self, job, batches, save, keep_samples):
        """Kill the worker processing a batch of layer 2 once the first neuron of that layer is saved."""
        def killer():
            partial = out / "layer_2" / ".partial"
            deadline = time.time() + 120
            while time.time() < deadline and not any(partial.glob("neuron_*.npz")):
                time.sleep(0.01)
            pids = self.client.run(os.getpid)
            busy = [address for address, keys in self.client.processing().items() if keys]
            if busy:
                killed.append(pids[busy[0]])
                os.kill(pids[busy[0]], 9)

        thread = threading.Thread(target=killer, daemon=True)
        if job.layer == 2:
            thread.start()
        original_run(self, job, batches, save, keep_samples)
        if job.layer == 2:
            thread.join()

    monkeypatch.setattr(DaskBatches, "run", run_and_kill)
    config = RunConfig(sampling=SamplingConfig(population=1000, max_iter=80, max_samples=20_000), neuron_batch=1)
    run(load_model(f"{TOY}:FunctionalCNN", weights=weights), out, layers=[1, 2], config=config, progress=False,
        grammar=None, cluster=ClusterConfig(workers=2, threads=1))
    assert killed, "no worker was busy when layer 2 had its first neuron: nothing was killed"
    _same_files(out, in_process)
    assert not list(out.rglob(".partial"))
