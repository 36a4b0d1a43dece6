"""Export-time rewrites that keep every network's function and state_dict keys
but run faster on the GPU (GPU performance issue).

instance_norm_channels_last(model): nn.InstanceNorm2d(affine=False) becomes
ChannelsLastInstanceNorm, the same parameter-free normalisation written with
var_mean over H and W. PyTorch's instance_norm reshapes its input to
(1, B*C, H, W) and so forces it back to NCHW: in a channels-last SPADE
generator that costs a layout conversion around every convolution. The
rewritten norm keeps the memory format of its input.
"""
import torch
from torch import nn


class ChannelsLastInstanceNorm(nn.Module):
    """(x - mean_hw) / sqrt(var_hw + eps), biased variance, statistics in float32."""

    def __init__(self, eps: float = 1e-5):
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        var, mean = torch.var_mean(x.float(), dim=[2, 3], keepdim=True, unbiased=False)
        return ((x.float() - mean) * torch.rsqrt(var + self.eps)).to(x.dtype)


def instance_norm_channels_last(module: nn.Module) -> nn.Module:
    for name, child in list(module.named_children()):
        if isinstance(child, nn.InstanceNorm2d) and not child.affine and not child.track_running_stats:
            setattr(module, name, ChannelsLastInstanceNorm(child.eps))
        else:
            instance_norm_channels_last(child)
    return module


class ChannelPaddedConv(nn.Module):
    """A Conv2d/Conv3d computed with its input and output channels zero-padded to
    a multiple of 8, then the real outputs sliced out: the same function. cuDNN's
    fast tensor-core kernels want channel counts divisible by 8; W's mask conv
    (142 -> 22 channels, 7x7x7) otherwise runs an "indexed" kernel at a quarter
    of the speed, and its occlusion conv has a single output channel."""

    pad_in: int
    out_channels: int

    def __init__(self, conv: nn.Module, multiple: int = 8):
        super().__init__()
        in_ch, out_ch = conv.in_channels, conv.out_channels
        self.pad_in = (-in_ch) % multiple
        self.out_channels = out_ch
        pad_out = (-out_ch) % multiple
        cls = type(conv)
        self.conv = cls(in_ch + self.pad_in, out_ch + pad_out, conv.kernel_size, stride=conv.stride,
                        padding=conv.padding, dilation=conv.dilation, bias=conv.bias is not None)
        with torch.no_grad():
            self.conv.weight.zero_()
            self.conv.weight[:out_ch, :in_ch].copy_(conv.weight)
            if conv.bias is not None:
                self.conv.bias.zero_()
                self.conv.bias[:out_ch].copy_(conv.bias)
        self.conv.to(conv.weight.device, conv.weight.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pad_in > 0:
            shape = list(x.shape)
            shape[1] = self.pad_in
            x = torch.cat([x, x.new_zeros(shape)], dim=1)
        return self.conv(x)[:, :self.out_channels]


def pad_conv_channels(module: nn.Module, multiple: int = 8, min_kernel_volume: int = 27) -> nn.Module:
    """Wraps every Conv2d/Conv3d with a large kernel (volume >= min_kernel_volume,
    i.e. where the padding overhead is negligible) whose channel counts are not
    multiples of `multiple` in ChannelPaddedConv (in place)."""
    for name, child in list(module.named_children()):
        if isinstance(child, (nn.Conv2d, nn.Conv3d)) and child.groups == 1:
            vol = 1
            for k in child.kernel_size:
                vol *= k
            if vol >= min_kernel_volume and (child.in_channels % multiple or child.out_channels % multiple):
                setattr(module, name, ChannelPaddedConv(child, multiple))
        else:
            pad_conv_channels(child, multiple, min_kernel_volume)
    return module
