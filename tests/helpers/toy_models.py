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
