"""Building blocks shared by the LivePortrait networks.

The attribute names of every block (conv, norm, conv1, ...) are part of the
checkpoint format: the official state_dict keys are built from them, so they
must not be renamed. Everything here is TorchScript-scriptable and creates no
tensor of a fixed dtype inside forward (constants follow the input's dtype and
device), so an exported module survives `.to(torch.half)`.
"""
from typing import List

import torch
from torch import nn
import torch.nn.functional as F


class ConvBnAct2d(nn.Module):
    """3x3 conv -> BatchNorm -> ReLU (or LeakyReLU 0.01), same resolution.

    Used as F's first layer and W's `third` layer.
    """

    def __init__(self, in_ch: int, out_ch: int, leaky: bool = False):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1)
        self.norm = nn.BatchNorm2d(out_ch, affine=True)
        # Kept as a module attribute (not a flag) so scripting sees one path.
        self.ac = nn.LeakyReLU() if leaky else nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ac(self.norm(self.conv(x)))


class ConvBnReluPool2d(nn.Module):
    """3x3 conv -> BatchNorm -> ReLU -> 2x2 average pool (halves H and W)."""

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1)
        self.norm = nn.BatchNorm2d(out_ch, affine=True)
        self.pool = nn.AvgPool2d(kernel_size=(2, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(F.relu(self.norm(self.conv(x))))


class ConvBnReluPool3d(nn.Module):
    """3x3x3 conv -> BatchNorm -> ReLU -> average pool over H, W only (depth kept)."""

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.conv = nn.Conv3d(in_ch, out_ch, kernel_size=3, padding=1)
        self.norm = nn.BatchNorm3d(out_ch, affine=True)
        self.pool = nn.AvgPool3d(kernel_size=(1, 2, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(F.relu(self.norm(self.conv(x))))


class UpsampleConvBnRelu3d(nn.Module):
    """Nearest 2x upsampling of H and W (depth kept) -> 3x3x3 conv -> BatchNorm -> ReLU."""

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.conv = nn.Conv3d(in_ch, out_ch, kernel_size=3, padding=1)
        self.norm = nn.BatchNorm3d(out_ch, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=[1.0, 2.0, 2.0], mode="nearest")
        return F.relu(self.norm(self.conv(x)))


class PreActResBlock3d(nn.Module):
    """Pre-activation residual block on a 3-D volume: x + conv(relu(bn(conv(relu(bn(x))))))."""

    def __init__(self, ch: int):
        super().__init__()
        self.conv1 = nn.Conv3d(ch, ch, kernel_size=3, padding=1)
        self.conv2 = nn.Conv3d(ch, ch, kernel_size=3, padding=1)
        self.norm1 = nn.BatchNorm3d(ch, affine=True)
        self.norm2 = nn.BatchNorm3d(ch, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv1(F.relu(self.norm1(x)))
        y = self.conv2(F.relu(self.norm2(y)))
        return y + x


class HourglassEncoder(nn.Module):
    """Stack of 3-D down blocks; returns the input and every level (for the skips)."""

    def __init__(self, in_ch: int, base_ch: int, levels: int, max_ch: int):
        super().__init__()
        blocks = []
        ch = in_ch
        for i in range(levels):
            out_ch = min(max_ch, base_ch * (2 ** (i + 1)))
            blocks.append(ConvBnReluPool3d(ch, out_ch))
            ch = out_ch
        self.down_blocks = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        levels = [x]
        for block in self.down_blocks:
            levels.append(block(levels[-1]))
        return levels


class HourglassDecoder(nn.Module):
    """Mirror of the encoder: upsample, concatenate the skip of the same level, repeat;
    then one 3x3x3 conv + BatchNorm + ReLU over (base_ch + in_ch) channels."""

    def __init__(self, in_ch: int, base_ch: int, levels: int, max_ch: int):
        super().__init__()
        blocks = []
        for i in reversed(range(levels)):
            deepest = i == levels - 1
            block_in = (1 if deepest else 2) * min(max_ch, base_ch * (2 ** (i + 1)))
            block_out = min(max_ch, base_ch * (2 ** i))
            blocks.append(UpsampleConvBnRelu3d(block_in, block_out))
        self.up_blocks = nn.ModuleList(blocks)
        self.out_channels = base_ch + in_ch
        self.conv = nn.Conv3d(self.out_channels, self.out_channels, kernel_size=3, padding=1)
        self.norm = nn.BatchNorm3d(self.out_channels, affine=True)

    def forward(self, levels: List[torch.Tensor]) -> torch.Tensor:
        n = len(levels)
        out = levels[n - 1]
        skip_index = n - 2
        for block in self.up_blocks:
            out = block(out)
            out = torch.cat([out, levels[skip_index]], dim=1)
            skip_index -= 1
        return F.relu(self.norm(self.conv(out)))


class Hourglass3d(nn.Module):
    """U-Net style 3-D hourglass used by the dense-motion network."""

    def __init__(self, in_ch: int, base_ch: int, levels: int, max_ch: int):
        super().__init__()
        self.encoder = HourglassEncoder(in_ch, base_ch, levels, max_ch)
        self.decoder = HourglassDecoder(in_ch, base_ch, levels, max_ch)
        self.out_channels = self.decoder.out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


def normalized_grid_3d(d: int, h: int, w: int, like: torch.Tensor) -> torch.Tensor:
    """Identity sampling grid in [-1, 1], shape (d, h, w, 3), last axis ordered (x, y, z)
    as grid_sample expects. The endpoints are the first and last voxel centres
    (i / (n - 1)), exactly as the official keypoint space is defined.
    Built in `like`'s dtype and device."""
    xs = torch.arange(w, device=like.device).to(like.dtype)
    ys = torch.arange(h, device=like.device).to(like.dtype)
    zs = torch.arange(d, device=like.device).to(like.dtype)
    xs = 2 * (xs / (w - 1)) - 1
    ys = 2 * (ys / (h - 1)) - 1
    zs = 2 * (zs / (d - 1)) - 1
    gx = xs.view(1, 1, w).expand(d, h, w)
    gy = ys.view(1, h, 1).expand(d, h, w)
    gz = zs.view(d, 1, 1).expand(d, h, w)
    return torch.stack([gx, gy, gz], dim=3)


def keypoint_gaussians(kp: torch.Tensor, grid: torch.Tensor, variance: float) -> torch.Tensor:
    """Isotropic Gaussian blob per keypoint on the grid.
    kp: (B, K, 3); grid: (d, h, w, 3) -> (B, K, d, h, w)."""
    b, k = kp.shape[0], kp.shape[1]
    diff = grid.unsqueeze(0).unsqueeze(0) - kp.view(b, k, 1, 1, 1, 3)
    return torch.exp(-0.5 * (diff ** 2).sum(-1) / variance)


class ChannelsFirstLayerNorm(nn.Module):
    """LayerNorm over the channel axis of an NCHW tensor (ConvNeXt's downsampling
    layers). Written out (biased variance, eps inside the sqrt) to match the
    reference numerics rather than permuting to use F.layer_norm."""

    def __init__(self, ch: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ch))
        self.bias = nn.Parameter(torch.zeros(ch))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(1, keepdim=True)
        var = (x - mean).pow(2).mean(1, keepdim=True)
        x = (x - mean) / torch.sqrt(var + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class ChannelsLastLayerNorm(nn.Module):
    """LayerNorm over the last axis (NHWC), parameters named weight/bias."""

    def __init__(self, ch: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ch))
        self.bias = nn.Parameter(torch.zeros(ch))
        self.eps = eps
        self.shape = [ch]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, self.shape, self.weight, self.bias, self.eps)


class GlobalResponseNorm(nn.Module):
    """ConvNeXt-V2 GRN on NHWC: x + gamma * (x * N(x)) + beta, where N divides each
    channel's spatial L2 norm by the mean of those norms over channels."""

    def __init__(self, ch: int):
        super().__init__()
        self.gamma = nn.Parameter(torch.zeros(1, 1, 1, ch))
        self.beta = nn.Parameter(torch.zeros(1, 1, 1, ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gx = torch.linalg.vector_norm(x, 2, dim=[1, 2], keepdim=True)
        nx = gx / (gx.mean(dim=-1, keepdim=True) + 1e-6)
        return self.gamma * (x * nx) + self.beta + x
