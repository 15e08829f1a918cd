"""The command line: describe, bad input with one clear sentence each, resume after a kill."""

import json
import multiprocessing
import os
import subprocess
import sys
import time

import pytest
import torch

from helpers.cli import TOY, assert_user_error, invoke
from neuronmotif.errors import NeuronMotifError
from neuronmotif.runconfig import count_idle, cpu_times, limit_threads

FAST = ["--population", "1000", "--max-iter", "80", "--max-samples", "20000", "--quiet"]


def test_describe_prints_the_layer_table(weights):
    result = invoke("describe", f"{TOY}:FunctionalCNN", "--weights", weights)
    assert result.exit_code == 0, result.output
    rows = {cells[2]: cells for line in result.output.splitlines()
            if len(cells := [c.strip() for c in line.split("│")]) > 9}
    # layer, module, in, out, kernel, pool after, pool below, RF (bp), activation
    assert rows["conv1"][1:10] == ["1", "conv1", "4", "4", "8", "2", "1", "8", "relu"]
    assert rows["conv2"][1:10] == ["2", "conv2", "4", "4", "3", "1", "2", "13", "relu"]  # RF (1 + 3 - 1) * 2 + 7


def test_missing_weights_file(tmp_path):
    assert_user_error(invoke("run", f"{TOY}:FunctionalCNN", "--weights", tmp_path / "nope.pt", "-o", tmp_path / "o"),
                      "nope.pt", "does not exist")


def test_corrupt_weights_file(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"this is not a torch file")
    assert_user_error(invoke("run", f"{TOY}:FunctionalCNN", "--weights", bad, "-o", tmp_path / "o"),
                      "cannot read weights file", "torch.save(model.state_dict()")


def test_weights_of_another_model(tmp_path, weights):
    assert_user_error(invoke("run", f"{TOY}:FunctionalCNN", "--weights", weights, "--model-kwargs",
                             '{"channels": 6}', "-o", tmp_path / "o"), "do not fit FunctionalCNN")


def test_class_not_found(tmp_path, weights):
    assert_user_error(invoke("run", f"{TOY}:NoSuchNet", "--weights", weights, "-o", tmp_path / "o"),
                      "'NoSuchNet' is not an nn.Module", "FunctionalCNN")


def test_nan_weights(tmp_path, single_motif_model):
    state = {k: v.clone() for k, v in single_motif_model[0].state_dict().items()}
    state["conv2.weight"][0, 0, 0] = float("nan")
    path = tmp_path / "nan.pt"
    torch.save(state, path)
    assert_user_error(invoke("run", f"{TOY}:FunctionalCNN", "--weights", path, "-o", tmp_path / "o"),
                      "conv2.weight", "NaN")


def test_wrong_layout(tmp_path):
    torch.save(__import__("helpers.toy_models", fromlist=["_"]).ChannelsLastCNN().state_dict(), tmp_path / "w.pt")
    assert_user_error(invoke("describe", f"{TOY}:ChannelsLastCNN", "--weights", tmp_path / "w.pt"),
                      "--input-layout NLC")
    assert invoke("describe", f"{TOY}:ChannelsLastCNN", "--weights", tmp_path / "w.pt",
                  "--input-layout", "NLC").exit_code == 0


def test_bad_alphabet(weights):
    assert_user_error(invoke("describe", f"{TOY}:FunctionalCNN", "--weights", weights, "--alphabet", "ACGU"),
                      "not an order of the four bases")


def test_unsupported_layer(tmp_path):
    torch.save(__import__("helpers.toy_models", fromlist=["_"]).ResidualCNN().state_dict(), tmp_path / "w.pt")
    assert_user_error(invoke("describe", f"{TOY}:ResidualCNN", "--weights", tmp_path / "w.pt"), "residual")


def test_layers_out_of_range(tmp_path, weights):
    assert_user_error(invoke("run", f"{TOY}:FunctionalCNN", "--weights", weights, "-o", tmp_path / "o",
                             "--layers", "1-5"), "out of range", "1-2")


def test_unwritable_output_directory(tmp_path, weights):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert_user_error(invoke("run", f"{TOY}:FunctionalCNN", "--weights", weights, "-o", blocker / "sub"),
                      "cannot write to output directory")


def test_debug_shows_the_traceback(tmp_path):
    result = invoke("run", f"{TOY}:FunctionalCNN", "--weights", tmp_path / "nope.pt", "-o", tmp_path / "o", "--debug")
    assert isinstance(result.exception, NeuronMotifError)


def test_other_parameters_are_refused_then_overwritten(tmp_path, weights):
    out = tmp_path / "o"
    base = ["run", f"{TOY}:FunctionalCNN", "--weights", weights, "-o", out, "--layers", "1", *FAST]
    assert invoke(*base).exit_code == 0
    assert_user_error(invoke(*base, "--seed", "5"), "different seed", "--overwrite")
    assert (out / "layer_1" / "crms.meme").exists(), "a refused run must not lose earlier results"
    assert invoke(*base, "--seed", "5", "--overwrite").exit_code == 0
    assert '"seed": 5' in (out / "run.json").read_text()


def test_foreign_directory_is_never_overwritten(tmp_path, weights):
    (tmp_path / "precious.txt").write_text("keep me")
    assert_user_error(invoke("run", f"{TOY}:FunctionalCNN", "--weights", weights, "-o", tmp_path, "--overwrite"),
                      "not a neuronmotif run directory")
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def _without_seconds(text):
    return [line.split("\t")[:7] + line.split("\t")[8:] for line in text.splitlines()]


def test_killed_run_resumes_to_the_same_files(tmp_path, weights):
    args = [sys.executable, "-m", "neuronmotif.cli", "run", f"{TOY}:FunctionalCNN", "--weights", weights,
            "--neuron-batch", "1", *FAST]
    subprocess.run(args + ["-o", str(tmp_path / "whole")], check=True, capture_output=True, timeout=300)

    out = tmp_path / "resumed"
    proc = subprocess.Popen(args + ["-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = out / "layer_2" / ".partial"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and not any(partial.glob("neuron_*.npz")):
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    assert not (out / "layer_2" / "neurons.tsv").exists(), "the run finished before it could be interrupted"
    assert (out / "layer_1" / "neurons.tsv").exists()
    crm_files = [out / "layer_1" / name for name in ("crms.meme", "crms.tsv", "neurons.tsv")]
    finished = {p: p.stat().st_mtime_ns for p in crm_files}

    subprocess.run(args + ["-o", str(out)], check=True, capture_output=True, timeout=300)
    for name in ("crms.meme", "crms.tsv"):
        for layer in (1, 2):
            resumed = (out / f"layer_{layer}" / name).read_text()
            assert resumed == (tmp_path / "whole" / f"layer_{layer}" / name).read_text()
    for layer in (1, 2):
        a = (out / f"layer_{layer}" / "neurons.tsv").read_text()
        b = (tmp_path / "whole" / f"layer_{layer}" / "neurons.tsv").read_text()
        assert _without_seconds(a) == _without_seconds(b)
    assert not partial.exists()
    assert {p: p.stat().st_mtime_ns for p in crm_files} == finished, "finished layer recomputed"
    # the motif and grammar stage, rebuilt over all layers at the end, equals the uninterrupted run's
    for name in ("layer_1/dictionary.meme", "layer_2/dictionary.meme", "layer_2/matches.tsv", "layer_2/grammar.json",
                 "motifs.tsv"):
        assert (out / name).read_text() == (tmp_path / "whole" / name).read_text(), name


def test_keep_samples_stores_compact_sequences(tmp_path, weights):
    import numpy as np

    out = tmp_path / "o"
    result = invoke("run", f"{TOY}:FunctionalCNN", "--weights", weights, "-o", out, "--layers", "1",
                    "--keep-samples", *FAST)
    assert result.exit_code == 0, result.output
    rows = (out / "layer_1" / "neurons.tsv").read_text().splitlines()[1:]
    for row in rows:
        neuron, n_sequences = int(row.split("\t")[0]), int(row.split("\t")[2])
        with np.load(out / "layer_1" / "samples" / f"neuron_{neuron}.npz") as sample:
            assert sample["tokens"].dtype == np.uint8 and sample["tokens"].shape == (n_sequences, 8)
            assert sample["acts"].dtype == np.float32 and (sample["acts"] > 0).all()


def test_settings_can_differ_per_layer(tmp_path, weights):
    """--motif-nb 2=2 and --max-samples 20000,2=3000: layer 2 alone gets 2 shifting units and 3,000 sequences."""
    out = tmp_path / "o"
    result = invoke("run", f"{TOY}:FunctionalCNN", "--weights", weights, "-o", out, "--population", "1000",
                    "--max-iter", "80", "--max-samples", "20000,2=3000", "--motif-nb", "2=2", "--quiet")
    assert result.exit_code == 0, result.output
    rows = {layer: [r.split("\t") for r in (out / f"layer_{layer}" / "neurons.tsv").read_text().splitlines()[1:]]
            for layer in (1, 2)}
    assert {r[8] for r in rows[2] if r[1] == "ok"} == {"2"}
    assert max(int(r[2]) for r in rows[2]) <= 3000 < max(int(r[2]) for r in rows[1]) <= 20000
    parameters = json.loads((out / "run.json").read_text())["parameters"]
    assert parameters["per_layer"] == {"2": {"sampling.max_samples": 3000, "demix.motif_nb": 2}}
    assert parameters["sampling.max_samples"] == 20000 and parameters["demix.motif_nb"] is None
    base = ["run", f"{TOY}:FunctionalCNN", "--weights", weights, "-o", tmp_path / "p"]
    assert_user_error(invoke(*base, "--motif-nb", "3=2"), "--motif-nb 3=2", "conv layers 1-2")
    assert_user_error(invoke(*base, "--motif-nb", "two=2"), "--motif-nb", "L=VALUE")
    assert_user_error(invoke(*base, "--max-iter", "2=0"), "--max-iter")


def test_motif_nb_can_be_fixed_as_in_the_published_scripts(tmp_path, weights):
    """--motif-nb 2 demixes every pooled neuron into pool^2 clusters; layer 1 (no pooling below) keeps 1."""
    out = tmp_path / "o"
    result = invoke("run", f"{TOY}:FunctionalCNN", "--weights", weights, "-o", out, "--layers", "1-2",
                    "--motif-nb", "2", *FAST)
    assert result.exit_code == 0, result.output
    for layer, expected in ((1, "1"), (2, "2")):
        rows = [r.split("\t") for r in (out / f"layer_{layer}" / "neurons.tsv").read_text().splitlines()[1:]]
        assert {r[8] for r in rows if r[1] == "ok"} == {expected}
    assert max(int(r.split("\t")[6]) for r in (out / "layer_2" / "neurons.tsv").read_text().splitlines()[1:]) > 2
    assert_user_error(invoke("run", f"{TOY}:FunctionalCNN", "--weights", weights, "-o", tmp_path / "p",
                             "--motif-nb", "0"), "--motif-nb")


def test_a_two_input_model_is_deciphered_with_its_other_input_held(tmp_path):
    """DNA plus a feature vector: the conv neurons read the DNA alone; the head gets the value given."""
    from helpers.toy_models import TwoInputCNN
    from neuronmotif.model import load_model

    torch.manual_seed(0)
    w = tmp_path / "w.pt"
    torch.save(TwoInputCNN().state_dict(), w)
    spec = [f"{TOY}:TwoInputCNN", "--weights", w]
    described = invoke("describe", *spec)
    assert described.exit_code == 0, described.output
    assert "other input 'features': held at [0.0, 0.0, 0.0]" in described.output
    out = tmp_path / "o"
    result = invoke("run", *spec, "-o", out, "--other-input", "features=0.5", *FAST)
    assert result.exit_code == 0, result.output
    assert (out / "layer_2" / "neurons.tsv").exists() and (out / "rules.json").exists()

    model = load_model(f"{TOY}:TwoInputCNN", weights=str(w), other_inputs={"features": 0.5})
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (6, model.input_length)), 4).transpose(1, 2).float()
    _, outputs = model.probe(x, [2])
    assert torch.allclose(outputs, model.module(x, torch.full((6, 3), 0.5)))
    assert_user_error(invoke("describe", *spec, "--other-input", "bogus=1"), "inputs after the DNA are: features")
    assert_user_error(invoke("describe", *spec, "--other-input", "features=abc"), "neither a number nor a .npy")


def test_a_conv_that_reads_another_input_is_refused_by_name():
    from torch import nn

    from neuronmotif.errors import UnsupportedModelError
    from neuronmotif.model import DNAModel

    class Mixed(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = nn.Conv1d(4, 4, 5), nn.Conv1d(4, 4, 3)

        def forward(self, x, scale):
            return self.conv2(self.conv1(x) * scale)

    try:
        DNAModel(Mixed())
    except UnsupportedModelError as exc:
        assert "other input(s) (scale)" in str(exc) and "read the DNA alone" in str(exc)
    else:
        raise AssertionError("a conv layer that reads another input was accepted")


def _spin(core: int, stop) -> None:
    os.sched_setaffinity(0, {core})
    while not stop.is_set():
        pass


def test_idle_cores_are_whole_cores_read_from_proc_stat(tmp_path):
    stat = tmp_path / "stat"
    stat.write_text("cpu  10 0 10 100 5 0 0 0 0 0\ncpu0 5 0 5 50 0 0 0 0 0 0\ncpu1 5 0 5 50 5 0 0 0 0 0\nintr 1 2\n")
    assert cpu_times(stat) == {0: (50, 60), 1: (55, 65)}  # idle + iowait, all ticks
    before = {0: (0, 0), 1: (0, 0), 2: (0, 0)}
    assert count_idle(before, {0: (100, 100), 1: (0, 100), 2: (100, 100)}, [0, 1, 2]) == 2  # one busy core
    assert count_idle(before, {0: (50, 100), 1: (50, 100), 2: (100, 100)}, [0, 1, 2]) == 2  # two half busy
    assert count_idle(before, {0: (60, 100), 1: (0, 100), 2: (100, 100)}, [0, 1, 2]) == 1  # 1.6 idle: one core
    assert count_idle(before, {0: (0, 100), 1: (0, 100), 2: (0, 100)}, [0, 1, 2]) == 1  # never below one
    assert count_idle(before, {0: (0, 100), 1: (100, 100), 2: (100, 100)}, [0, 1]) == 1  # only the usable cores
    assert count_idle(before, {0: (100, 100)}, [0, 5]) == 2  # a core /proc/stat numbers otherwise: idle


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two usable cores")
def test_a_run_beside_busy_cores_takes_the_idle_ones_and_says_so(weights, monkeypatch):
    monkeypatch.delenv("NEURONMOTIF_THREADS")
    threads, cores = torch.get_num_threads(), sorted(os.sched_getaffinity(0))
    stop = multiprocessing.Event()
    spinners = [multiprocessing.Process(target=_spin, args=(core, stop)) for core in cores[1:]]
    try:
        for p in spinners:
            p.start()
        time.sleep(0.5)
        result = invoke("describe", f"{TOY}:FunctionalCNN", "--weights", weights)
        used = torch.get_num_threads()
    finally:
        stop.set()
        for p in spinners:
            p.join()
        limit_threads(threads)  # torch, the BLAS/OpenMP pools and numba, as conftest set them
    assert result.exit_code == 0, result.output
    assert f"{len(cores) - 1} of {len(cores)} cores are busy: using 1 thread" in result.output
    assert used == 1


def test_dask_workers_share_the_idle_cores_beside_a_busy_neighbour(monkeypatch):
    """Each of W workers takes idle // W threads when the idle cores were counted (at least one), a count
    asked for (--threads or $NEURONMOTIF_THREADS) as given, and the cluster's default (cores // W) on a
    quiet machine; the message says what each worker takes; run.json records what each process computing
    neurons used."""
    from neuronmotif import runconfig
    from neuronmotif.cliparams import ThreadChoice, choose_threads, worker_threads
    from neuronmotif.cluster import ClusterConfig
    from neuronmotif.pipeline import _threads_per_process

    busy = [ThreadChoice(None, idle, "busy") for idle in (3, 8, 1)]
    assert [worker_threads(choice, workers) for choice, workers in zip(busy, (2, 2, 4), strict=True)] == [1, 4, 1]
    assert worker_threads(ThreadChoice(3, None, None), 2) == 3
    assert worker_threads(ThreadChoice(None, None, None), 2) is None and worker_threads(busy[0], None) is None
    assert _threads_per_process(ClusterConfig(workers=2, threads=worker_threads(busy[0], 2))) == 1
    assert _threads_per_process(ClusterConfig(workers=2)) == max(1, (os.cpu_count() or 1) // 2)
    assert _threads_per_process(None) == torch.get_num_threads()
    monkeypatch.delenv("NEURONMOTIF_THREADS", raising=False)
    monkeypatch.setattr(runconfig, "idle_cores", lambda: (5, 8))
    monkeypatch.setattr(runconfig, "limit_threads", lambda n: None)
    choice = choose_threads(None, workers=2)
    assert "3 of 8 cores are busy: using 2 threads in each of 2 Dask workers" in choice.message
    assert worker_threads(choice, 2) == 2
    assert "using 5 threads (" in choose_threads(None).message


def test_a_bad_thread_count_in_the_environment_is_refused(weights, monkeypatch):
    monkeypatch.setenv("NEURONMOTIF_THREADS", "two")
    assert_user_error(invoke("describe", f"{TOY}:FunctionalCNN", "--weights", weights),
                      "NEURONMOTIF_THREADS", "'two'", "number of CPU threads")


def test_a_run_and_a_later_grammar_of_its_directory_verify_the_same_rules(single_motif_model, weights, tmp_path):
    """The Python API's rule stage draws its backgrounds with the run's seed, as the command line does: a
    run with seed 3 and `neuronmotif grammar` of its directory report the same rules (the API used seed 0
    whatever the run's seed, so the two could disagree)."""
    from conftest import fast_config
    from neuronmotif.model import DNAModel
    from neuronmotif.pipeline import run

    out = tmp_path / "run"
    run(DNAModel(single_motif_model[0]), out, layers=[1, 2], config=fast_config(seed=3), progress=False)
    first = (out / "rules.tsv").read_text()
    assert json.loads((out / "rules.json").read_text())["seed"] == 3
    result = invoke("grammar", str(out), f"{TOY}:FunctionalCNN", "--weights", weights, "--quiet")
    assert result.exit_code == 0, result.output
    assert (out / "rules.tsv").read_text() == first
