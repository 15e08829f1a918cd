"""Bad numbers, impossible settings, two runs in one directory, file modes and progress (issue #12)."""

import os
import stat
import subprocess
import sys
import time
import zipfile

import pytest
import torch

from helpers.cli import TOY, invoke
from neuronmotif.demix import DemixConfig
from neuronmotif.errors import NeuronMotifError
from neuronmotif.pipeline import RunConfig
from neuronmotif.sample import SamplingConfig
from neuronmotif.store import LOCK_NAME, RunDirectory, atomic_write_text

FAST = ["--population", "1000", "--max-iter", "80", "--max-samples", "20000"]


def one_line_error(result, *fragments):
    """A user error: exit 2, one line, no traceback, naming each fragment."""
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


def cli(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "neuronmotif.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=300, **kwargs)


# -- 1. silent nonsense -----------------------------------------------------------------------------------
def test_weights_that_overflow_are_an_error_naming_the_layer(tmp_path, single_motif_model):
    """Weights scaled by 1e38 are finite but overflow float32: no 'nan' rows, an error naming the layer."""
    state = {k: v * 1e38 if v.is_floating_point() and "running_var" not in k else v
             for k, v in single_motif_model[0].state_dict().items()}
    path = tmp_path / "huge.pt"
    torch.save(state, path)
    out = tmp_path / "o"
    result = invoke("run", f"{TOY}:FunctionalCNN", "--weights", path, "-o", out, "--quiet")
    one_line_error(result, "non-finite activations", "layer ")
    assert not list(out.glob("layer_*/crms.meme")), "results of a model that overflows were written"


@pytest.mark.parametrize("option, value", [("--max-iter", 0), ("--exhaustive-max-rf", 20), ("--seed", -1),
                                           ("--max-samples", 0), ("--population", 0), ("--patience", -1),
                                           ("--max-motif-nb", 0), ("--neuron-batch", 0), ("--ic-min", 3),
                                           ("--threads", 0)])
def test_impossible_settings_are_refused_by_name(tmp_path, weights, option, value):
    result = invoke("run", f"{TOY}:FunctionalCNN", "--weights", weights, "-o", tmp_path / "o", option, value)
    assert result.exit_code == 2 and option in result.output and "Traceback" not in result.output, result.output
    assert not (tmp_path / "o").exists()


def test_library_configs_name_the_python_parameter():
    for make, name in ((lambda: SamplingConfig(max_iter=0), "SamplingConfig.max_iter"),
                       (lambda: SamplingConfig(exhaustive_max_rf=20), "SamplingConfig.exhaustive_max_rf"),
                       (lambda: DemixConfig(motif_nb=9), "DemixConfig.motif_nb"),
                       (lambda: RunConfig(seed=-1), "RunConfig.seed")):
        with pytest.raises(NeuronMotifError, match=name.replace(".", r"\.")):
            make()


def test_a_layer_that_may_take_hours_says_so_before_it_starts(tmp_path, weights, monkeypatch):
    """The announcement names the layer, the estimate and what shortens it (threshold lowered to 0 s here)."""
    import neuronmotif.pipeline as pipeline

    monkeypatch.setattr(pipeline, "LONG_LAYER", 0.0)
    result = invoke("run", f"{TOY}:FunctionalCNN", "--weights", weights, "-o", tmp_path / "o", *FAST)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "layer 1 may take up to" in text and "4^8 = 65,536 sequences" in text, result.output
    assert "layer 2 may take up to" in text and "--max-iter" in text, result.output
    assert text.index("layer 2 may take up to") < text.index("layer 2 (GA"), "announced after the layer started"


# -- 2. two runs into one directory ----------------------------------------------------------------------
def test_a_second_run_is_refused_and_the_first_is_unharmed(tmp_path, weights):
    out = tmp_path / "o"
    args = ["run", f"{TOY}:FunctionalCNN", "--weights", weights, "-o", out, "--neuron-batch", "1", *FAST]
    # every GA generation runs (no early stop), so the first run is still busy in layer 2 for several seconds
    # after its first neuron there: longer than the second process needs to start and reach the lock
    long = ["--max-iter", "400", "--patience", "400"]
    first = subprocess.Popen([sys.executable, "-m", "neuronmotif.cli", *map(str, args + long)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and first.poll() is None and not (out / "layer_2" / ".partial").exists():
        time.sleep(0.01)
    assert first.poll() is None, "the first run ended before a second could be started"
    second = cli(*args)
    assert second.returncode == 2, second.stderr
    assert f"in use by another neuronmotif process (pid {first.pid}" in " ".join(second.stderr.split())
    assert "Traceback" not in second.stderr
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert not list(out.rglob(".partial")), "partial files left in a finished run directory"
    assert not (out / LOCK_NAME).exists()
    assert (out / "layer_2" / "crms.meme").exists() and (out / "motifs.tsv").exists()


def test_a_stale_lock_from_a_killed_run_is_taken_over(tmp_path, weights):
    out = tmp_path / "o"
    args = ["run", f"{TOY}:FunctionalCNN", "--weights", weights, "-o", out, "--layers", "1", *FAST]
    proc = subprocess.Popen([sys.executable, "-m", "neuronmotif.cli", *map(str, args)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    stamp = f'"pid": {proc.pid}'
    while time.time() < deadline and proc.poll() is None and not _reads(out / LOCK_NAME, stamp):
        time.sleep(0.005)  # the lock file is created, then locked, then stamped: wait for the stamp
    proc.kill()
    proc.wait()
    assert (out / LOCK_NAME).exists(), "the killed run left no lock file to take over"
    assert stamp in (out / LOCK_NAME).read_text()
    result = cli(*args)
    assert result.returncode == 0, result.stderr
    assert (out / "layer_1" / "crms.meme").exists()


def _reads(path, text: str) -> bool:
    try:
        return text in path.read_text()
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("leftovers", [[LOCK_NAME], [LOCK_NAME, ".write-test"],
                                       [LOCK_NAME, ".write-test.a1b2.tmp"], [LOCK_NAME, ".run.json.x9y8.tmp"]])
def test_a_run_killed_while_opening_its_directory_is_taken_over(tmp_path, leftovers):
    """Killed after its lock but before run.json, a run leaves only its own files; the next run reopens them."""
    for name in leftovers:
        (tmp_path / name).write_text("")
    manifest = {"model_fingerprint": "m", "seed": 0, "parameters": {}, "layers": [1]}
    RunDirectory(tmp_path).prepare(manifest)
    assert RunDirectory(tmp_path).manifest()["layers"] == [1]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({LOCK_NAME, "run.json"})


def test_a_directory_holding_a_users_file_is_still_refused(tmp_path):
    (tmp_path / LOCK_NAME).write_text("")
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(NeuronMotifError, match="is not empty and is not a neuronmotif run directory"):
        RunDirectory(tmp_path).prepare({"model_fingerprint": "m", "seed": 0, "parameters": {}, "layers": [1]})
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_lock_is_refused_in_process_too(tmp_path):
    """Another process's lock is seen through the kernel, whatever the lock file says."""
    store = RunDirectory(tmp_path)
    code = (f"import time; from neuronmotif.store import RunDirectory\n"
            f"with RunDirectory({str(tmp_path)!r}).lock():\n    print('held', flush=True); time.sleep(30)\n")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(NeuronMotifError, match=f"pid {holder.pid} on host"):
            with store.lock():
                pass
    finally:
        holder.kill()
        holder.wait()
    with store.lock(), store.lock():  # free again, and re-entrant within one process
        assert (tmp_path / LOCK_NAME).exists()
    assert not (tmp_path / LOCK_NAME).exists()


# -- 3. tracebacks become one-line errors ---------------------------------------------------------------
def test_empty_weights_file(tmp_path):
    (tmp_path / "empty.pt").write_bytes(b"")
    one_line_error(invoke("describe", f"{TOY}:FunctionalCNN", "--weights", tmp_path / "empty.pt"),
                   "empty.pt", "empty (0 bytes)")


def test_a_model_whose_init_raises(tmp_path):
    source = tmp_path / "broken.py"
    source.write_text("import torch\nclass Broken(torch.nn.Module):\n    def __init__(self):\n"
                      "        super().__init__()\n        raise ValueError('no config file')\n")
    one_line_error(invoke("describe", f"{source}:Broken", "--weights", tmp_path / "w.pt"),
                   "Broken() failed in its __init__", "no config file", str(source))


@pytest.mark.parametrize("content", [b"", b"not a zip", "zip"])
def test_a_corrupt_export_is_one_line_on_stderr(tmp_path, content):
    path = tmp_path / "model.pt2"
    if content == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("stray", "x")
    else:
        path.write_bytes(content)
    result = cli("describe", path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "torch.export" in lines[0], result.stderr


def test_a_device_that_does_not_exist(weights):
    one_line_error(invoke("describe", f"{TOY}:FunctionalCNN", "--weights", weights, "--device", "foo"),
                   "device (--device) 'foo' is not a device")


def test_grammar_on_a_read_only_run_directory(tmp_path, weights, monkeypatch):
    out = tmp_path / "o"
    assert invoke("run", f"{TOY}:FunctionalCNN", "--weights", weights, "-o", out, "--layers", "1", *FAST,
                  "--quiet").exit_code == 0
    real_open = os.open

    def read_only(path, flags, *args):  # root ignores file modes, so the refusal is simulated
        if str(path).startswith(str(out)) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", read_only)
    one_line_error(invoke("grammar", out), "cannot write to output directory", "Permission denied", "copy")


# -- 4. file modes follow the umask ----------------------------------------------------------------------
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_files_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        atomic_write_text(tmp_path / "x.tsv", "a\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "x.tsv").stat().st_mode) == mode


def test_a_run_is_readable_by_its_group(tmp_path, weights):
    out = tmp_path / "o"
    old = os.umask(0o022)
    try:
        assert invoke("run", f"{TOY}:FunctionalCNN", "--weights", weights, "-o", out, "--layers", "1", *FAST,
                      "--quiet").exit_code == 0
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in out.rglob("*") if p.is_file()}
    assert modes and set(modes.values()) == {0o644}, modes


# -- 6. progress and help ---------------------------------------------------------------------------------
def test_piped_output_shows_plain_progress_lines_and_why_a_layer_has_no_motif(tmp_path, weights):
    result = cli("run", f"{TOY}:FunctionalCNN", "--weights", weights, "-o", tmp_path / "o", *FAST,
                 "--ic-min", "1.9")
    assert result.returncode == 0, result.stderr
    assert "layer 1 (enumerate, rf 8): 0/4" in result.stderr and "layer 1 (enumerate, rf 8): 4/4" in result.stderr
    assert "layer 2 (GA, rf 13): 4/4" in result.stderr
    assert "naming" in result.stderr and "against JASPAR2024" in result.stderr, result.stderr
    assert "\x1b[" not in result.stderr, "terminal control codes in piped output"
    assert "above 1.9 bit" in " ".join(result.stdout.split()), result.stdout


def test_run_help_says_what_a_model_may_be():
    text = invoke("run", "--help").output
    for fragment in ("FILE.py:ClassName", "model.pt2", "model.h5", "neuronmotif run model.py:MyCNN", "--threads",
                     "--ic-min"):
        assert fragment in text, fragment
