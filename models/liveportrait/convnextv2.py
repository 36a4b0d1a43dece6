"""ConvNeXt-V2 backbone (tiny: depths 3-3-9-3, widths 96-192-384-768) with the
LivePortrait heads: keypoints, scale, 66-bin pitch/yaw/roll, translation and
expression deltas. Stochastic depth is inference-irrelevant and left out."""
from typing import List, Tuple

import torch
from torch import nn
import torch.nn.functional as F

from .blocks import ChannelsFirstLayerNorm, ChannelsLastLayerNorm, GlobalResponseNorm


class ConvNeXtV2Block(nn.Module):
    """Depthwise 7x7 conv, then an inverted-bottleneck MLP (x4) with GELU and GRN,
    computed channels-last; residual add."""

    def __init__(self, dim: int):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim)
        self.norm = ChannelsLastLayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.grn = GlobalResponseNorm(4 * dim)
        self.pwconv2 = nn.Linear(4 * dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.dwconv(x).permute(0, 2, 3, 1)
        y = self.pwconv1(self.norm(y))
        y = self.grn(F.gelu(y))
        y = self.pwconv2(y).permute(0, 3, 1, 2)
        return x + y


class ConvNeXtV2(nn.Module):
    def __init__(self, in_channels: int = 3, depths: List[int] = [3, 3, 9, 3],
                 dims: List[int] = [96, 192, 384, 768], num_kp: int = 21, num_bins: int = 66):
        super().__init__()
        # Stem (4x4 patchify conv + LN) followed by three (LN + 2x2 stride-2 conv) downsamplers.
        self.downsample_layers = nn.ModuleList()
        self.downsample_layers.append(nn.Sequential(
            nn.Conv2d(in_channels, dims[0], kernel_size=4, stride=4),
            ChannelsFirstLayerNorm(dims[0], eps=1e-6)))
        for i in range(3):
            self.downsample_layers.append(nn.Sequential(
                ChannelsFirstLayerNorm(dims[i], eps=1e-6),
                nn.Conv2d(dims[i], dims[i + 1], kernel_size=2, stride=2)))
        self.stages = nn.ModuleList(
            [nn.Sequential(*[ConvNeXtV2Block(dims[i]) for _ in range(depths[i])]) for i in range(4)])
        self.norm = nn.LayerNorm(dims[-1], eps=1e-6)
        feat = dims[-1]
        # Registration order = official state_dict order.
        self.fc_kp = nn.Linear(feat, 3 * num_kp)
        self.fc_scale = nn.Linear(feat, 1)
        self.fc_pitch = nn.Linear(feat, num_bins)
        self.fc_yaw = nn.Linear(feat, num_bins)
        self.fc_roll = nn.Linear(feat, num_bins)
        self.fc_t = nn.Linear(feat, 3)
        self.fc_exp = nn.Linear(feat, 3 * num_kp)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        for down, stage in zip(self.downsample_layers, self.stages):
            x = stage(down(x))
        return self.norm(x.mean([-2, -1]))  # global average pool -> (B, C)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor,
                                                 torch.Tensor, torch.Tensor, torch.Tensor,
                                                 torch.Tensor]:
        f = self.features(x)
        return (self.fc_pitch(f), self.fc_yaw(f), self.fc_roll(f), self.fc_t(f),
                self.fc_exp(f), self.fc_scale(f), self.fc_kp(f))
