"""Write Keras-2-layout HDF5 files with h5py, and an independent NumPy forward pass for the same layers."""

import json

import h5py
import numpy as np


class KerasSpec:
    """A chain of Keras layers with random weights: (class_name, config, [weight arrays])."""

    def __init__(self, length, seed=0):
        self.length, self.rng, self.layers, self.channels = length, np.random.default_rng(seed), [], 4

    def add(self, cls, name, weights=(), **config):
        self.layers.append((cls, {"name": name, **config}, [np.asarray(w, np.float32) for w in weights]))
        return self

    def conv(self, name, filters, kernel, padding="valid", activation="linear"):
        w = self.rng.normal(0, 0.5, (kernel, self.channels, filters))
        b = self.rng.normal(0, 0.1, filters)
        self.channels = filters
        return self.add("Conv1D", name, (w, b), filters=filters, kernel_size=[kernel], strides=[1],
                        padding=padding, dilation_rate=[1], activation=activation, use_bias=True)

    def bn(self, name, eps=1e-3):
        c = self.channels
        weights = (self.rng.uniform(0.5, 1.5, c), self.rng.normal(0, 0.2, c), self.rng.normal(0, 0.5, c),
                   self.rng.uniform(0.5, 2.0, c))
        return self.add("BatchNormalization", name, weights, axis=-1, epsilon=eps, center=True, scale=True)

    def dense(self, name, units, n_in, activation="linear"):
        w, b = self.rng.normal(0, 0.3, (n_in, units)), self.rng.normal(0, 0.1, units)
        return self.add("Dense", name, (w, b), units=units, activation=activation, use_bias=True)

    def concat_input(self, name, input_name, n_features):
        """Concatenate the (flattened) path with a second input of ``n_features`` (a functional model only)."""
        self.other = (input_name, n_features)
        return self.add("Concatenate", name, axis=-1)

    # -- configs ------------------------------------------------------------------------------------
    def sequential_config(self):
        layers = []
        for i, (cls, cfg, _) in enumerate(self.layers):
            cfg = dict(cfg)
            if i == 0:
                cfg["batch_input_shape"] = [None, self.length, 4]
            layers.append({"class_name": cls, "config": cfg})
        return {"class_name": "Sequential", "config": {"name": "sequential_1", "layers": layers}}

    def functional_config(self):
        layers = [{"name": "input_1", "class_name": "InputLayer", "inbound_nodes": [],
                   "config": {"name": "input_1", "batch_input_shape": [None, self.length, 4]}}]
        inputs = [["input_1", 0, 0]]
        previous = "input_1"
        for cls, cfg, _ in self.layers:
            sources = [[previous, 0, 0, {}]]
            if cls == "Concatenate":
                other, n = self.other
                layers.append({"name": other, "class_name": "InputLayer", "inbound_nodes": [],
                               "config": {"name": other, "batch_input_shape": [None, n]}})
                inputs.append([other, 0, 0])
                sources.append([other, 0, 0, {}])
            layers.append({"name": cfg["name"], "class_name": cls, "config": cfg, "inbound_nodes": [sources]})
            previous = cfg["name"]
        return {"class_name": "Model", "config": {"name": "model_1", "layers": layers, "input_layers": inputs,
                                                  "output_layers": [[previous, 0, 0]]}}

    def write(self, path, functional=False, weights_only=False):
        """A full-model save (model_config + model_weights), or a weights-only file."""
        with h5py.File(path, "w") as f:
            if weights_only:
                group = f
            else:
                config = self.functional_config() if functional else self.sequential_config()
                f.attrs["model_config"] = json.dumps(config).encode()
                f.attrs["keras_version"] = b"2.3.1"
                f.attrs["backend"] = b"tensorflow"
                group = f.create_group("model_weights")
            group.attrs["layer_names"] = [cfg["name"].encode() for _, cfg, _ in self.layers]
            for cls, cfg, weights in self.layers:
                g = group.create_group(cfg["name"])
                kinds = {"Conv1D": ["kernel", "bias"], "Dense": ["kernel", "bias"],
                         "BatchNormalization": ["gamma", "beta", "moving_mean", "moving_variance"]}.get(cls, [])
                names = [f"{cfg['name']}/{k}:0" for k in kinds]
                g.attrs["weight_names"] = [n.encode() for n in names]
                for n, w in zip(names, weights, strict=True):
                    g.create_dataset(n, data=w)

    # -- independent NumPy forward pass (channels-last, as Keras computes) --------------------------
    def numpy_forward(self, x, other=None):
        """x: (N, L, 4) (and the second input, (N, k)) -> output of the last layer."""
        acts = {"relu": lambda v: np.maximum(v, 0), "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "tanh": np.tanh,
                "linear": lambda v: v, "exponential": np.exp, "softplus": lambda v: np.log1p(np.exp(v)),
                "elu": lambda v: np.where(v > 0, v, np.exp(v) - 1)}
        h = x.astype(np.float64)
        for cls, cfg, w in self.layers:
            if cls == "Conv1D":
                k = w[0].shape[0]
                if cfg["padding"] == "same":
                    left = (k - 1) // 2
                    h = np.pad(h, ((0, 0), (left, k - 1 - left), (0, 0)))
                out_len = h.shape[1] - k + 1
                h = sum(h[:, j:j + out_len, :] @ w[0][j] for j in range(k)) + w[1]
                h = acts[cfg["activation"]](h)
            elif cls == "BatchNormalization":
                gamma, beta, mean, var = w
                h = (h - mean) / np.sqrt(var + cfg["epsilon"]) * gamma + beta
            elif cls == "Activation":
                h = acts[cfg["activation"]](h)
            elif cls == "ReLU":
                h = np.maximum(h, 0)
            elif cls == "ThresholdedReLU":
                h = np.where(h > cfg["theta"], h, 0.0)
            elif cls == "MaxPooling1D":
                p = cfg["pool_size"][0]
                if cfg["padding"] == "same" and h.shape[1] % p:  # Keras pads the right end
                    h = np.pad(h, ((0, 0), (0, p - h.shape[1] % p), (0, 0)), constant_values=-np.inf)
                n_out = h.shape[1] // p
                h = h[:, : n_out * p].reshape(h.shape[0], n_out, p, h.shape[2]).max(axis=2)
            elif cls == "Flatten":
                h = h.reshape(h.shape[0], -1)
            elif cls == "Concatenate":
                h = np.concatenate([h, other], axis=-1)
            elif cls == "Dense":
                h = acts[cfg["activation"]](h @ w[0] + w[1])
        return h


def demo1_spec():
    """8 bp -> Conv1D(3, 5, relu) -> MaxPool 2 -> Conv1D(1, 2) -> sigmoid -> Flatten (the paper's demo1)."""
    s = KerasSpec(8, seed=1).conv("conv1d_1", 3, 5, activation="relu")
    s.add("MaxPooling1D", "max_pooling1d_1", pool_size=[2], strides=[2], padding="valid")
    return s.conv("conv1d_2", 1, 2).add("Activation", "activation_1", activation="sigmoid").add("Flatten", "flatten_1")


def demo2_spec():
    """82 bp -> 4 x [Conv1D, BN(eps 1e-3), ReLU, MaxPool 2] -> Conv1D, BN, sigmoid -> Flatten (the paper's demo2)."""
    s = KerasSpec(82, seed=2)
    for i, (filters, kernel) in enumerate([(5, 7), (5, 3), (6, 3), (6, 3)], start=1):
        s.conv(f"conv1d_{i}", filters, kernel).bn(f"batch_normalization_{i}")
        s.add("Activation", f"activation_{i}", activation="relu")
        s.add("MaxPooling1D", f"max_pooling1d_{i}", pool_size=[2], strides=[2], padding="valid")
    s.conv("conv1d_5", 1, 3).bn("batch_normalization_5")
    return s.add("Activation", "activation_5", activation="sigmoid").add("Flatten", "flatten_1")


def dense_head_spec():
    """38 bp -> Conv1D 'same' (exponential) -> MaxPool 4 'same' -> ReLU -> Flatten -> Dense relu -> Dropout -> Dense."""
    s = KerasSpec(38, seed=3).conv("conv1d_1", 6, 8, padding="same", activation="exponential")
    s.add("MaxPooling1D", "max_pooling1d_1", pool_size=[4], strides=[4], padding="same")
    s.add("ReLU", "re_lu_1")
    s.add("Flatten", "flatten_1")
    s.dense("dense_1", 5, 10 * 6, activation="relu").add("Dropout", "dropout_1", rate=0.2)
    return s.dense("dense_2", 3, 5, activation="sigmoid")


# -- the paper's four model families, at their published conv sizes, random weights, small dense heads ---------
def _pooled(s: KerasSpec, name: str, size: int) -> KerasSpec:
    return s.add("MaxPooling1D", name, pool_size=[size], strides=[size], padding="valid")


def deepsea_spec(widths=(320, 480, 960), units=8, tasks=4):
    """DeepSEA: 1000 bp; 3 x Conv1D(k 8) with a thresholded ReLU and no BatchNorm, pool 4 after the first two,
    Dropout, then Flatten -> Dense -> thresholded ReLU -> Dense -> sigmoid (919 tasks in the paper)."""
    s = KerasSpec(1000, seed=4)
    for i, width in enumerate(widths, start=1):
        s.conv(f"conv1d_{i}", width, 8).add("ThresholdedReLU", f"thresholded_re_lu_{i}", theta=1e-6)
        if i < 3:
            _pooled(s, f"max_pooling1d_{i}", 4)
        s.add("Dropout", f"dropout_{i}", rate=0.2 if i < 3 else 0.5)
    s.add("Flatten", "flatten_1").dense("dense_1", units, 53 * widths[-1])
    s.add("ThresholdedReLU", "thresholded_re_lu_4", theta=1e-6)
    return s.dense("dense_2", tasks, units).add("Activation", "activation_1", activation="sigmoid")


def basset_spec(widths=(300, 200, 200), units=8, tasks=4):
    """Basset: 600 bp; Conv1D k 19/11/7 with BatchNorm and ReLU, pools 3/4/4, Flatten -> Dense -> sigmoid."""
    s = KerasSpec(600, seed=5)
    length = 600
    for i, (width, kernel, pool) in enumerate(zip(widths, (19, 11, 7), (3, 4, 4), strict=True), start=1):
        s.conv(f"conv1d_{i}", width, kernel).bn(f"batch_normalization_{i}")
        s.add("Activation", f"activation_{i}", activation="relu")
        _pooled(s, f"max_pooling1d_{i}", pool)
        length = (length - kernel + 1) // pool
    s.add("Flatten", "flatten_1").dense("dense_1", units, length * widths[-1], activation="relu")
    return s.dense("dense_2", tasks, units).add("Activation", "activation_4", activation="sigmoid")


DD10_WIDTHS = (128, 128, 160, 160, 256, 320, 512, 640, 1024, 1280)
BD10_WIDTHS = (128, 128, 160, 160, 256, 256, 384, 384, 512, 512)


def ten_layer_spec(length, widths, units=8, tasks=4, seed=6):
    """DD-10 (1000 bp) and BD-10 (600 bp): 10 x [Conv1D (k 7, then 3), BN, ReLU], pool 2 after every second
    conv but the last, then Flatten -> Dense -> sigmoid."""
    s = KerasSpec(length, seed=seed)
    for i, width in enumerate(widths, start=1):
        kernel = 7 if i == 1 else 3
        s.conv(f"conv1d_{i}", width, kernel).bn(f"batch_normalization_{i}")
        s.add("Activation", f"activation_{i}", activation="relu")
        length -= kernel - 1
        if i % 2 == 0 and i < len(widths):
            _pooled(s, f"max_pooling1d_{i // 2}", 2)
            length //= 2
    s.add("Flatten", "flatten_1").dense("dense_1", units, length * widths[-1], activation="relu")
    return s.dense("dense_2", tasks, units).add("Activation", "activation_11", activation="sigmoid")
