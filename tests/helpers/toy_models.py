"""Small model classes for the tests, importable by path as tests/helpers/toy_models.py:Class (no package imports)."""

import torch
import torch.nn.functional as F
from torch import nn


class FunctionalCNN(nn.Module):
    """Conv blocks written with functional calls in a custom forward, 'same' padding on the first conv."""

    def __init__(self, n_tasks: int = 1, channels: int = 4, kernel: int = 8):
        super().__init__()
        self.conv1 = nn.Conv1d(4, channels, kernel, padding="same")
        self.bn1 = nn.BatchNorm1d(channels)
        self.conv2 = nn.Conv1d(channels, channels, 3)
        self.bn2 = nn.BatchNorm1d(channels)
        self.head = nn.Linear(channels, n_tasks)

    def forward(self, x):
        x = F.max_pool1d(F.relu(self.bn1(self.conv1(x))), 2)
        x = torch.relu(self.bn2(self.conv2(x)))
        return self.head(x.amax(dim=-1))


class ChannelsLastCNN(nn.Module):
    """Takes (N, L, 4) input."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 3, 5)
        self.head = nn.Linear(3, 1)

    def forward(self, x):
        return self.head(torch.relu(self.conv(x.transpose(1, 2))).amax(dim=-1))


class FiveChannelCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(5, 3, 5)

    def forward(self, x):
        return self.conv(x).amax(dim=-1)


class ResidualCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(4, 8, 5, padding=2)
        self.conv2 = nn.Conv1d(8, 8, 3, padding=1)
        self.conv3 = nn.Conv1d(8, 8, 3)

    def forward(self, x):
        h = torch.relu(self.conv1(x))
        h = h + torch.relu(self.conv2(h))
        return self.conv3(h).amax(dim=-1)


class AvgPoolCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv1d(4, 4, 5), nn.ReLU(), nn.AvgPool1d(2), nn.Conv1d(4, 4, 3))

    def forward(self, x):
        return self.body(x).amax(dim=-1)


class StridedCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv1d(4, 4, 5, stride=2), nn.ReLU(), nn.Conv1d(4, 4, 3))

    def forward(self, x):
        return self.body(x).amax(dim=-1)


class PaperCNN(nn.Module):
    """The conv stack of the paper's model families in PyTorch (random weights), with a small dense head.

    family: 'deepsea' (k 8, thresholded ReLU, no BatchNorm, pools 4, 4), 'basset' (k 19/11/7, BN, ReLU, pools
    3/4/4), 'dd10' or 'bd10' (10 convs, k 7 then 3, BN, ReLU, pool 2 after every second conv but the last).
    """

    SHAPES = {
        "deepsea": ((320, 480, 960), (8, 8, 8), (4, 4, 1), False),
        "basset": ((300, 200, 200), (19, 11, 7), (3, 4, 4), True),
        "dd10": ((128, 128, 160, 160, 256, 320, 512, 640, 1024, 1280), (7,) + (3,) * 9, (1, 2) * 4 + (1, 1), True),
        "bd10": ((128, 128, 160, 160, 256, 256, 384, 384, 512, 512), (7,) + (3,) * 9, (1, 2) * 4 + (1, 1), True),
    }

    def __init__(self, family: str = "deepsea", n_tasks: int = 4):
        super().__init__()
        widths, kernels, pools, batchnorm = self.SHAPES[family]
        layers, c_in = [], 4
        for width, kernel, pool in zip(widths, kernels, pools, strict=True):
            layers.append(nn.Conv1d(c_in, width, kernel))
            layers += [nn.BatchNorm1d(width), nn.ReLU()] if batchnorm else [nn.Threshold(1e-6, 0.0)]
            if pool > 1:
                layers.append(nn.MaxPool1d(pool))
            layers.append(nn.Dropout(0.2))
            c_in = width
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(c_in, n_tasks)

    def forward(self, x):
        return torch.sigmoid(self.head(self.body(x).amax(dim=-1)))


class TwoInputCNN(nn.Module):
    """DNA plus a vector of 3 features (as a promoter model takes mRNA half-life features): the conv
    stack reads the DNA alone, the head concatenates its pooled output with the features."""

    other_input_shapes = {"features": (3,)}

    def __init__(self, channels: int = 4):
        super().__init__()
        self.conv1 = nn.Conv1d(4, channels, 8)
        self.conv2 = nn.Conv1d(channels, channels, 3)
        self.head = nn.Linear(channels + 3, 1)

    def forward(self, x, features):
        x = F.max_pool1d(F.relu(self.conv1(x)), 2)
        x = torch.relu(self.conv2(x)).amax(dim=-1)
        return self.head(torch.cat([x, features], dim=1))
