"""Model introspection: layer table, receptive fields, valid-part evaluators, loading formats."""

import numpy as np
import pytest
import torch
from nmbench.zoo import bd10_like
from torch import nn

from neuronmotif.datasets.models import BassetLike
from neuronmotif.errors import NeuronMotifError, UnsupportedModelError
from neuronmotif.model import DNAModel
from neuronmotif.sequences import one_hot


def random_tokens(n, length, seed=0):
    return np.random.default_rng(seed).integers(0, 4, size=(n, length)).astype(np.uint8)


@pytest.mark.parametrize(("kernels", "pools", "expected"), [
    # receptive fields listed in the algorithm notes for the published models
    ((7, 3, 3, 3, 3), (2, 2, 2, 2, 1), [7, 12, 22, 42, 82]),  # demo2
    ((19, 11, 7), (3, 4, 4), [19, 51, 132]),  # Basset
])
def test_receptive_fields_match_published_models(kernels, pools, expected):
    model = BassetLike(1, channels=(4,) * len(kernels), kernels=kernels, pools=pools)
    assert [layer.rf for layer in DNAModel(model).layers] == expected


def test_bd10_receptive_fields_and_pooling():
    dna = DNAModel(bd10_like(channels=(4,) * 10))
    assert [layer.rf for layer in dna.layers] == [7, 9, 14, 18, 28, 36, 56, 72, 112, 144]
    assert [layer.pool_below for layer in dna.layers] == [1, 1, 2, 2, 4, 4, 8, 8, 16, 16]


def _randomise_batchnorm(model):
    torch.manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.normal_()
    return model.eval()


def test_evaluator_equals_full_model_inside_a_same_padded_sequence():
    from helpers.toy_models import FunctionalCNN

    model = _randomise_batchnorm(FunctionalCNN(channels=6, kernel=8))
    dna = DNAModel(model)
    layer = dna.layer(2)
    x = one_hot(random_tokens(3, 60))
    with torch.no_grad():
        h1 = torch.nn.functional.max_pool1d(torch.relu(model.bn1(model.conv1(x))), 2)
        full = model.bn2(model.conv2(h1))  # layer-2 activation, before ReLU
        # conv1 pads 'same' (3 left, 4 right for kernel 8): layer-2 position j reads input from 2j - 3
        j = 10
        window = x[:, :, 2 * j - 3: 2 * j - 3 + layer.rf]
        assert torch.allclose(dna.activations(window, 2), full[:, :, j], atol=1e-5)


def test_exported_program_gives_the_same_neurons(tmp_path):
    from neuronmotif.model.loading import load_model

    model = _randomise_batchnorm(BassetLike(2, channels=(5, 6, 7)))
    path = tmp_path / "m.pt2"
    torch.export.save(torch.export.export(model, (torch.zeros(1, 4, 50),)), str(path))
    exported = load_model(str(path))
    direct = DNAModel(model)
    renamed = [dict(r, name=e["name"]) for r, e in zip(direct.describe(), exported.describe(), strict=True)]
    assert exported.describe() == renamed  # same table; only graph node names differ
    x = one_hot(random_tokens(5, 36))
    assert torch.allclose(exported.activations(x, 3), direct.activations(x, 3), atol=1e-5)


def test_alphabet_and_layout_are_honoured():
    from helpers.toy_models import ChannelsLastCNN

    model = ChannelsLastCNN().eval()
    x = one_hot(random_tokens(4, 5))
    agct = x[:, [0, 2, 1, 3]]  # the same sequences in A, G, C, T channel order
    ours = DNAModel(model, input_layout="NLC", alphabet="AGCT").activations(x, 1)
    with torch.no_grad():
        theirs = model.conv(agct)[:, :, 0]
    assert torch.allclose(ours, theirs, atol=1e-6)


def test_wrong_layout_is_reported_with_the_fix():
    from helpers.toy_models import ChannelsLastCNN

    with pytest.raises(NeuronMotifError, match="--input-layout NLC"):
        DNAModel(ChannelsLastCNN())


def test_five_input_channels_are_refused():
    from helpers.toy_models import FiveChannelCNN

    with pytest.raises(NeuronMotifError, match="5 input channels.*one-hot DNA has 4"):
        DNAModel(FiveChannelCNN())


@pytest.mark.parametrize(("cls", "message"), [
    ("ResidualCNN", "residual"),
    ("AvgPoolCNN", "AvgPool1d.*between convolution layers"),
    ("StridedCNN", "stride 2"),
])
def test_unsupported_constructs_are_named(cls, message):
    from helpers import toy_models

    with pytest.raises(UnsupportedModelError, match=message):
        DNAModel(getattr(toy_models, cls)())


def test_nan_weights_are_refused_with_the_parameter_name():
    model = BassetLike(1, channels=(4, 4, 4))
    model.body[0].weight.data[0, 0, 0] = float("nan")
    with pytest.raises(NeuronMotifError, match="body.0.weight.*NaN"):
        DNAModel(model)


def test_layer_out_of_range():
    with pytest.raises(NeuronMotifError, match="layer 4 is out of range.*1-3"):
        DNAModel(BassetLike(1)).layer(4)


def test_output_gradients_are_the_models_own_gradients_through_its_head():
    """Votes of layer-3 neurons for two tasks equal autograd through the model's own forward (BN scales random)."""
    torch.manual_seed(0)
    model = _randomise_batchnorm(BassetLike(2, channels=(6, 6, 6)))
    dna = DNAModel(model)
    x = one_hot(random_tokens(7, 80))
    captured = {}

    def keep(module, inputs, output):
        captured["bn3"] = output.detach().requires_grad_(True)
        return captured["bn3"]

    handle = model.body[9].register_forward_hook(keep)  # layer 3's BatchNorm: the neuron activation
    y = model(x)
    handle.remove()
    expected = torch.stack([torch.autograd.grad(y[:, t].sum(), captured["bn3"], retain_graph=True)[0].sum(-1).mean(0)
                            for t in range(2)], dim=1)
    votes = dna.output_gradients(x, 3)
    assert votes.shape == (6, 2) and torch.allclose(votes, expected, atol=1e-6)
    assert (votes != 0).any(), "no neuron reaches the head: the comparison proves nothing"


def test_a_model_pickles_for_cluster_workers_and_comes_back_the_same():
    """Dask sends the model to workers by pickle; BassetLike's fx graph code alone would not pickle."""
    import pickle

    model = DNAModel(BassetLike(2))
    back = pickle.loads(pickle.dumps(model))
    assert back.fingerprint() == model.fingerprint() and back.describe() == model.describe()
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (3, 36)), 4).transpose(1, 2).float()
    assert torch.equal(back.activations(x, 3), model.activations(x, 3))
