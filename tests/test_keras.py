"""Keras 2 HDF5 models read with h5py only, checked against an independent NumPy forward pass."""

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from helpers.keras_files import (
    BD10_WIDTHS,
    DD10_WIDTHS,
    KerasSpec,
    basset_spec,
    deepsea_spec,
    demo1_spec,
    demo2_spec,
    dense_head_spec,
    ten_layer_spec,
)
from neuronmotif.cli import main
from neuronmotif.errors import NeuronMotifError, UnsupportedModelError
from neuronmotif.model import DNAModel
from neuronmotif.model.keras import load_keras
from neuronmotif.model.loading import load_model


def onehot_nlc(n, length, seed=0):
    tokens = np.random.default_rng(seed).integers(0, 4, (n, length))
    return np.eye(4, dtype=np.float32)[tokens]  # (N, L, 4)


@pytest.mark.parametrize("functional", [False, True])
@pytest.mark.parametrize("make", [demo1_spec, demo2_spec, dense_head_spec])
def test_forward_matches_numpy(tmp_path, make, functional):
    spec = make()
    spec.write(tmp_path / "m.h5", functional=functional)
    model = load_keras(tmp_path / "m.h5")
    x = onehot_nlc(16, spec.length)
    with torch.no_grad():
        ours = model(torch.as_tensor(x).transpose(1, 2)).numpy()
    theirs = spec.numpy_forward(x)
    if ours.ndim == 3:  # conv output (N, C, L) vs Keras (N, L, C)
        ours = ours.transpose(0, 2, 1)
    assert ours.shape == theirs.shape
    assert np.abs(ours - theirs).max() < 1e-5


def test_demo2_layers_and_neuron_activation(tmp_path):
    """The published demo2 RFs, and a neuron's activation = Conv -> BN before the sigmoid."""
    spec = demo2_spec()
    spec.write(tmp_path / "demo2.h5")
    dna = load_model(str(tmp_path / "demo2.h5"))
    assert [layer.rf for layer in dna.layers] == [7, 12, 22, 42, 82]
    x = onehot_nlc(4, 82)
    pre_sigmoid = KerasSpec(82)
    pre_sigmoid.layers = spec.layers[:-2]  # before the sigmoid and the trailing Flatten
    expected = pre_sigmoid.numpy_forward(x)[:, 0, 0]
    ours = dna.activations(torch.as_tensor(x).transpose(1, 2), 5)[:, 0].numpy()
    assert np.abs(ours - expected).max() < 1e-5


def test_weights_only_file_with_json_config(tmp_path):
    spec = demo1_spec()
    spec.write(tmp_path / "w.h5", weights_only=True)
    (tmp_path / "m.json").write_text(json.dumps(spec.sequential_config()))
    with pytest.raises(NeuronMotifError, match="--keras-config"):
        load_keras(tmp_path / "w.h5")
    model = load_keras(tmp_path / "w.h5", config_path=tmp_path / "m.json")
    x = onehot_nlc(8, 8)
    with torch.no_grad():
        ours = model(torch.as_tensor(x).transpose(1, 2)).numpy()  # (N, 1) after the trailing Flatten
    assert np.abs(ours - spec.numpy_forward(x)).max() < 1e-5


def test_alphabet_applies_to_keras_models(tmp_path):
    spec = demo1_spec()
    spec.write(tmp_path / "m.h5")
    x = onehot_nlc(8, 5)  # layer 1 RF is 5
    acgt = torch.as_tensor(x).transpose(1, 2)
    # the model was trained on A, G, C, T channels: feed our ACGT sequences through --alphabet AGCT
    ours = load_model(str(tmp_path / "m.h5"), alphabet="AGCT").activations(acgt, 1).numpy()
    w, b = spec.layers[0][2]
    agct = x[:, :, [0, 2, 1, 3]]
    expected = np.einsum("nkc,kco->no", agct, w) + b
    assert np.abs(ours - expected).max() < 1e-5


@pytest.mark.parametrize(("cls", "config"), [
    ("Conv2D", {"filters": 2, "kernel_size": [3, 3]}),
    ("LSTM", {"units": 4}),
    ("Lambda", {"function": "x"}),
    ("MyCustomLayer", {}),
])
def test_unsupported_layers_are_named(tmp_path, cls, config):
    spec = demo1_spec()
    spec.layers.insert(1, (cls, {"name": "odd_layer", **config}, []))
    spec.write(tmp_path / "m.h5")
    with pytest.raises(UnsupportedModelError, match=f"'odd_layer' of type {cls} is not supported"):
        load_keras(tmp_path / "m.h5")


def test_inputs_beyond_dna_and_one_feature_vector_are_refused(tmp_path):
    spec = demo1_spec()
    spec.write(tmp_path / "m.h5", functional=True)
    config = spec.functional_config()
    config["config"]["input_layers"] += [["input_2", 0, 0], ["input_3", 0, 0]]
    (tmp_path / "three.json").write_text(json.dumps(config))
    spec.write(tmp_path / "w.h5", weights_only=True)
    with pytest.raises(UnsupportedModelError, match="one DNA input .batch, length, 4., optionally with one feature"):
        load_keras(tmp_path / "w.h5", config_path=tmp_path / "three.json")


def _two_input_spec():
    """60 bp DNA -> Conv1D, ReLU, MaxPool 2, Conv1D, ReLU -> Flatten -> Concatenate with 3 half-life-like
    features -> Dense relu -> Dense (the shape of a promoter-expression model with a second input)."""
    s = KerasSpec(60, seed=4).conv("conv1d_1", 4, 7, activation="relu")
    s.add("MaxPooling1D", "max_pooling1d_1", pool_size=[2], strides=[2], padding="valid")
    s.conv("conv1d_2", 3, 5, activation="relu").add("Flatten", "flatten_1")
    s.concat_input("concatenate_1", "halflife", 3)
    n_in = 3 * (((60 - 6) // 2) - 4) + 3
    return s.dense("dense_1", 5, n_in, activation="relu").dense("dense_2", 1, 5)


def test_a_two_input_keras_save_loads_describes_and_runs_holding_its_features(tmp_path):
    spec = _two_input_spec()
    spec.write(tmp_path / "m.h5", functional=True)
    model = load_model(str(tmp_path / "m.h5"))
    assert [layer.rf for layer in model.layers] == [7, 5 * 2 + 7 - 1]  # (1 + 5 - 1) * pool 2 + 7 - 1
    x = onehot_nlc(8, spec.length)
    features = np.random.default_rng(1).normal(size=(8, 3)).astype(np.float32)
    with torch.no_grad():
        ours = model.module(torch.as_tensor(x).transpose(1, 2), torch.as_tensor(features)).numpy()
    assert np.abs(ours - spec.numpy_forward(x, features)).max() < 1e-5
    held = load_model(str(tmp_path / "m.h5"), other_inputs={"other": 0.25})
    _, outputs = held.probe(torch.as_tensor(x).transpose(1, 2), [2])
    expected = spec.numpy_forward(x, np.full((8, 3), 0.25, np.float32))
    assert np.abs(outputs.numpy() - expected).max() < 1e-5

    described = CliRunner().invoke(main, ["describe", str(tmp_path / "m.h5")])
    assert described.exit_code == 0, described.output
    assert "other input 'other': held at [0.0, 0.0, 0.0]" in described.output
    out = tmp_path / "out"
    ran = CliRunner().invoke(main, ["run", str(tmp_path / "m.h5"), "-o", str(out), "--population", "200",
                                    "--max-iter", "5", "--other-input", "other=0.25", "--quiet"])
    assert ran.exit_code == 0, ran.output
    assert (out / "layer_2" / "crms.meme").exists() and (out / "rules.json").exists()


def test_cli_describes_a_keras_file(tmp_path):
    demo2_spec().write(tmp_path / "demo2.h5")
    result = CliRunner().invoke(main, ["describe", str(tmp_path / "demo2.h5")])
    assert result.exit_code == 0, result.output
    assert "82" in result.output and "conv1d_5" in result.output


@pytest.mark.parametrize("make", [demo1_spec, demo2_spec, dense_head_spec])
def test_keras_saves_ending_in_flatten_and_dense_load_describe_and_run(tmp_path, make):
    """The published demo saves end in Flatten (and Basset/DeepSEA in Flatten, Dense, Activation): the
    twin must trace, describe and decipher a layer through the same route a user takes."""
    make().write(tmp_path / "m.h5")
    described = CliRunner().invoke(main, ["describe", str(tmp_path / "m.h5")])
    assert described.exit_code == 0, described.output
    out = tmp_path / "out"
    ran = CliRunner().invoke(main, ["run", str(tmp_path / "m.h5"), "-o", str(out), "--layers", "1",
                                    "--population", "100", "--max-iter", "5", "--quiet"])
    assert ran.exit_code == 0, ran.output
    assert (out / "layer_1" / "crms.meme").read_text().count("MOTIF L1_N") >= 1


def test_keras3_archive_is_refused_with_the_fix(tmp_path):
    (tmp_path / "m.keras").write_bytes(b"PK")
    result = CliRunner().invoke(main, ["describe", str(tmp_path / "m.keras")])
    assert result.exit_code == 2 and "model.save('model.h5')" in result.output, result.output


def test_not_an_hdf5_file(tmp_path):
    (tmp_path / "m.h5").write_text("nope")
    result = CliRunner().invoke(main, ["describe", str(tmp_path / "m.h5")])
    assert result.exit_code == 2 and "cannot read" in result.output and "Traceback" not in result.output


def test_real_keras_model_if_tensorflow_is_installed(tmp_path):
    tf_keras = pytest.importorskip("tf_keras")
    layers = tf_keras.layers
    model = tf_keras.Sequential([layers.Conv1D(4, 5, activation="relu", input_shape=(30, 4)),
                                 layers.BatchNormalization(), layers.MaxPooling1D(2),
                                 layers.Conv1D(2, 3, padding="same"), layers.Flatten(), layers.Dense(2)])
    model.save(tmp_path / "real.h5")
    x = onehot_nlc(8, 30)
    ours = load_keras(tmp_path / "real.h5")(torch.as_tensor(x).transpose(1, 2)).detach().numpy()
    assert np.abs(ours - model.predict(x, verbose=0)).max() < 1e-4


TEN_LAYER_RFS = [7, 9, 14, 18, 28, 36, 56, 72, 112, 144]
FAMILIES = {  # the receptive fields listed for the published models in the algorithm notes
    "deepsea": (deepsea_spec, (320, 480, 960), [8, 39, 163]),
    "basset": (basset_spec, (300, 200, 200), [19, 51, 132]),
    "dd10": (lambda: ten_layer_spec(1000, DD10_WIDTHS), DD10_WIDTHS, TEN_LAYER_RFS),
    "bd10": (lambda: ten_layer_spec(600, BD10_WIDTHS, seed=7), BD10_WIDTHS, TEN_LAYER_RFS),
}


@pytest.mark.parametrize("family", FAMILIES)
def test_the_papers_model_families_describe_with_their_published_receptive_fields(tmp_path, family):
    """Keras 2 saves at the published conv sizes (random weights), ending in Flatten, Dense and Activation."""
    from helpers.toy_models import PaperCNN

    make, widths, rfs = FAMILIES[family]
    make().write(tmp_path / f"{family}.h5")
    result = CliRunner().invoke(main, ["describe", str(tmp_path / f"{family}.h5")])
    assert result.exit_code == 0, result.output
    for dna in (load_model(str(tmp_path / f"{family}.h5")), DNAModel(PaperCNN(family))):
        assert [layer.rf for layer in dna.layers] == rfs
        assert [layer.out_channels for layer in dna.layers] == list(widths)
    if family == "deepsea":  # a thresholded ReLU is non-negative: dead-neuron logic applies below it
        assert dna.input_activation(2) == "thresholded_relu"


def test_a_deepsea_shaped_keras_save_runs_its_first_layer(tmp_path):
    deepsea_spec(widths=(32, 48, 96)).write(tmp_path / "deepsea.h5")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(tmp_path / "deepsea.h5"), "-o", str(out), "--layers", "1",
                                       "--quiet"])
    assert result.exit_code == 0, result.output
    rows = (out / "layer_1" / "neurons.tsv").read_text().splitlines()[1:]
    assert len(rows) == 32 and all(r.split("\t")[1] in ("ok", "sick", "dead") for r in rows)
