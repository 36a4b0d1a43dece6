"""Export-time rewrites that keep every network's function and state_dict keys
but run faster on the GPU (GPU performance issue).

instance_norm_channels_last(model): nn.InstanceNorm2d(affine=False) becomes
ChannelsLastInstanceNorm, the same parameter-free normalisation written with
var_mean over H and W. PyTorch's instance_norm reshapes its input to
(1, B*C, H, W) and so forces it back to NCHW: in a channels-last SPADE
generator that costs a layout conversion around every convolution. The
rewritten norm keeps the memory format of its input. Its statistics are taken
in the input's precision with float accumulation (var_mean on half tensors).

share_spade_condition(model): each SPADE residual block of G resizes the
conditioning feature once for its norms instead of once per norm, and not at
all where it already has the right size.

More rewrites change state_dict keys or the module structure and so serve only
the compiled (AOTInductor) packages of export_compiled.py: fuse_spade_gamma_beta
(G's gamma and beta convolutions as one), low_res_spade_condition (the shared
3x3 convolution of each SPADE norm on the 2x/4x upsampled condition computed at
the condition's resolution), fold_shortcut_shift (a learned shortcut's 1x1
convolution composed into its beta convolution), upsampled_input_statistics
(G's upsampled block inputs normalised with statistics of every 2nd row and
column), merge_middle_conditions (G's twelve 64x64 condition convolutions as
one), triton_depthwise_conv2d (M's depthwise convolutions as a Triton kernel,
depthwise_conv_triton.py), triton_convnext_mlp (the rest of each of M's
ConvNeXt-V2 blocks as two Triton kernels, convnext_block_triton.py),
depth_stack_conv3d (every 3-D convolution of F and W
as one 2-D convolution over the depth slices whose output channels stack the
depth taps, then a shifted sum), tap_stack_narrow_conv2d (W's 7x7 occlusion
convolution, 2272 channels to 1, as a 1x1 convolution whose outputs stack the
49 taps, then a shifted sum) and pad_conv2d_outputs (output channels
zero-padded to a multiple of 8). Each keeps the network's function.

fold_batch_norms (every batch norm that directly follows a convolution in F and
W folded into that convolution's weights and bias) also serves only the packages.

Most rewrites are one replace_modules call: match a module type, build its
replacement from it.
"""
import torch
from torch import nn
import torch.nn.functional as F

import convnext_block_triton
import depthwise_conv_triton
from liveportrait.blocks import (ConvBnAct2d, ConvBnReluPool2d, ConvBnReluPool3d, HourglassDecoder,
                                 UpsampleConvBnRelu3d)
from liveportrait.convnextv2 import ConvNeXtV2Block
from liveportrait.dense_motion import DenseMotionNetwork
from liveportrait.spade_generator import SPADEGenerator, SPADEResBlock


class ChannelsLastInstanceNorm(nn.Module):
    """(x - mean_hw) / sqrt(var_hw + eps), biased variance. PyTorch reduces half
    tensors with float accumulators; only the two statistics are rounded to the
    input's precision.

    stats_stride k > 1 takes the statistics from every k-th row and column only:
    exact where x is a k-times nearest-upsampled map (each pixel of the map it
    came from is seen once), which upsampled_input_statistics sets up for G."""

    stats_stride: torch.jit.Final[int]

    def __init__(self, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.stats_stride = 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = self.stats_stride
        sample = x[:, :, ::k, ::k] if k > 1 else x
        var, mean = torch.var_mean(sample, dim=[2, 3], keepdim=True, unbiased=False)
        return (x - mean) * torch.rsqrt(var + self.eps)


def fold_batch_norms(module: nn.Module) -> nn.Module:
    """Folds every inference-mode BatchNorm that directly follows a convolution
    (conv -> norm -> activation blocks of F and W, W's feature compression)
    into the convolution's weights and bias; the norm becomes the identity (in
    place). Same function, up to rounding.

    Why it pays: Inductor computes a half-precision batch norm in float32, and
    where the tensor before it has two readers it writes that float32 tensor
    out. W's hourglass did so at every decoder level, 37 MB before the mask and
    occlusion convolutions alone, which the next kernels read back. Folded, the
    activation is written once, in half precision."""
    pairs = []
    for m in module.modules():
        if isinstance(m, (ConvBnAct2d, ConvBnReluPool2d, ConvBnReluPool3d, UpsampleConvBnRelu3d, HourglassDecoder)):
            pairs.append((m, "conv"))
        elif isinstance(m, DenseMotionNetwork):
            pairs.append((m, "compress"))
    for m, conv_name in pairs:
        conv, bn = getattr(m, conv_name), m.norm
        if not isinstance(bn, (nn.BatchNorm2d, nn.BatchNorm3d)) or bn.training or not bn.track_running_stats:
            continue
        with torch.no_grad():
            scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
            bias = conv.bias.double() if conv.bias is not None else torch.zeros_like(scale)
            shape = (-1,) + (1,) * (conv.weight.dim() - 1)
            folded_w = conv.weight.double() * scale.view(shape)
            folded_b = (bias - bn.running_mean.double()) * scale + bn.bias.double()
            conv.weight = nn.Parameter(folded_w.to(conv.weight.dtype))
            conv.bias = nn.Parameter(folded_b.to(conv.weight.dtype))
        m.norm = nn.Identity()
    return module


def replace_modules(module: nn.Module, matches, make) -> nn.Module:
    """Replaces, in place, every module below `module` for which matches(child)
    holds by make(child); does not descend into what it replaced. Every rewrite
    below is one call of this."""
    for name, child in list(module.named_children()):
        if matches(child):
            setattr(module, name, make(child))
        else:
            replace_modules(child, matches, make)
    return module


def instance_norm_channels_last(module: nn.Module) -> nn.Module:
    return replace_modules(
        module, lambda c: isinstance(c, nn.InstanceNorm2d) and not c.affine and not c.track_running_stats,
        lambda c: ChannelsLastInstanceNorm(c.eps))


class PreResizedSPADE(nn.Module):
    """SPADE whose condition arrives already resized to x's size (same weights
    and attribute names as liveportrait.spade_generator.SPADE)."""

    def __init__(self, spade: nn.Module):
        super().__init__()
        self.param_free_norm = spade.param_free_norm
        self.mlp_shared = spade.mlp_shared
        self.mlp_gamma = spade.mlp_gamma
        self.mlp_beta = spade.mlp_beta

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        normalized = self.param_free_norm(x)
        act = self.mlp_shared(cond)
        return normalized * (1 + self.mlp_gamma(act)) + self.mlp_beta(act)


class SharedConditionSPADEResBlock(nn.Module):
    """SPADEResBlock whose two or three SPADE norms share one nearest-resized
    condition: resized once per block instead of once per norm, and not at all
    when it already has x's size (the six 64x64 middle blocks). Same function."""

    learned_shortcut: torch.jit.Final[bool]
    resize_condition: torch.jit.Final[bool]  # False once its norms take the condition as it is

    def __init__(self, block: nn.Module):
        super().__init__()
        self.learned_shortcut = block.learned_shortcut
        self.resize_condition = True
        self.conv_0 = block.conv_0
        self.conv_1 = block.conv_1
        self.norm_0 = PreResizedSPADE(block.norm_0)
        self.norm_1 = PreResizedSPADE(block.norm_1)
        if self.learned_shortcut:
            self.conv_s = block.conv_s
            self.norm_s = PreResizedSPADE(block.norm_s)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        if self.resize_condition and (cond.shape[2] != x.shape[2] or cond.shape[3] != x.shape[3]):
            cond = F.interpolate(cond, size=[x.shape[2], x.shape[3]], mode="nearest")
        if self.learned_shortcut:
            x_s = self.conv_s(self.norm_s(x, cond))
        else:
            x_s = x
        dx = self.conv_0(F.leaky_relu(self.norm_0(x, cond), 0.2))
        dx = self.conv_1(F.leaky_relu(self.norm_1(dx, cond), 0.2))
        return x_s + dx


def share_spade_condition(module: nn.Module) -> nn.Module:
    """Replaces every SPADEResBlock below `module` by SharedConditionSPADEResBlock (in place)."""
    return replace_modules(module, lambda c: isinstance(c, SPADEResBlock), SharedConditionSPADEResBlock)


class FusedGammaBetaSPADE(nn.Module):
    """PreResizedSPADE with mlp_gamma and mlp_beta merged into one convolution of
    twice the width (they read the same activation), and the "1 +" of the
    modulation folded into gamma's bias: normalized * gb[:C] + gb[C:].
    Same function; one convolution launch and one larger GEMM instead of two.
    Changes the state_dict keys, so it is used only for the compiled
    (AOTInductor) packages, never for the TorchScript export."""

    def __init__(self, spade: nn.Module):
        super().__init__()
        self.param_free_norm = spade.param_free_norm
        self.mlp_shared = spade.mlp_shared
        gamma, beta = spade.mlp_gamma, spade.mlp_beta
        self.channels = gamma.out_channels
        self.mlp_gamma_beta = nn.Conv2d(gamma.in_channels, 2 * gamma.out_channels, gamma.kernel_size,
                                        padding=gamma.padding)
        with torch.no_grad():
            self.mlp_gamma_beta.weight.copy_(torch.cat([gamma.weight, beta.weight]))
            self.mlp_gamma_beta.bias.copy_(torch.cat([gamma.bias + 1, beta.bias]))
        self.mlp_gamma_beta.to(gamma.weight.device, gamma.weight.dtype)

    def modulate(self, x: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        gamma_beta = self.mlp_gamma_beta(act)
        scale, shift = gamma_beta[:, :self.channels], gamma_beta[:, self.channels:]
        return torch.addcmul(shift, self.param_free_norm(x), scale)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        return self.modulate(x, self.mlp_shared(cond))


def fuse_spade_gamma_beta(module: nn.Module) -> nn.Module:
    """Replaces every PreResizedSPADE below `module` (after share_spade_condition)
    by FusedGammaBetaSPADE (in place)."""
    return replace_modules(module, lambda c: isinstance(c, PreResizedSPADE), FusedGammaBetaSPADE)


class DepthStackedConv3d(nn.Module):
    """A stride-1, depth-"same" Conv3d (kernel kd x kh x kw) computed as one 2-D
    convolution over the depth slices followed by a shifted sum over depth.

    The 2-D convolution's output channels stack the kd depth taps (row
    k * padded_out + o holds tap k of output channel o), so slice j yields
    every tap's contribution at once and out[:, i] = bias + sum_k y[:, i + k - pd, k].
    Same function and FLOPs, but the GEMM is kd times wider: W's 7x7x7 mask
    convolution has only 22 output channels, which leaves most of a tensor-core
    tile empty in cuDNN's 3-D kernels (about 115 TFLOP/s on an H200). The sum
    over depth is a cheap pointwise kernel that Inductor fuses with what follows.

    stack_width also stacks the kw width taps (row (k * kw + j) * padded_out + o)
    and the 2-D convolution becomes kh x 1: for the mask convolution a GEMM
    1176 instead of 168 wide, which cuDNN runs on sm90 kernels (H100: 461 ->
    293 us, plus a 49-tap sum of about 60 us) at the price of a 154 MB
    intermediate.

    Input channels, and each tap's block of output channels, are zero-padded to
    a multiple of `align` (zero weights; the padded outputs are never read)
    because half-precision tensor-core convolutions want 8-aligned channels:
    otherwise cuDNN pads the tensors on every call (nhwcAddPaddingKernel, about
    0.12 ms of W on an H100) or falls back to older kernels.
    Changes the state_dict keys, so it is used only for the compiled packages."""

    def __init__(self, conv: nn.Conv3d, align: int = 8, stack_width: bool = False):
        super().__init__()
        kd, kh, kw = conv.kernel_size
        pd, ph, pw = conv.padding
        if (conv.stride != (1, 1, 1) or conv.dilation != (1, 1, 1) or conv.groups != 1
                or conv.padding_mode != "zeros" or 2 * pd != kd - 1 or (stack_width and 2 * pw != kw - 1)):
            raise ValueError("DepthStackedConv3d needs a stride-1, undilated, ungrouped conv "
                             "with depth (and, stacking the width, width) padding (k - 1) / 2")
        self.taps = kd
        self.width_taps = kw if stack_width else 1
        self.depth_pad = pd
        self.width_pad = pw if stack_width else 0
        self.padding = (ph, 0 if stack_width else pw)
        self.out_channels = conv.out_channels
        self.padded_in = -(-conv.in_channels // align) * align
        self.padded_out = -(-conv.out_channels // align) * align
        with torch.no_grad():
            w = conv.weight.permute(2, 0, 1, 3, 4)  # (kd, out, in, kh, kw)
            w = F.pad(w, (0, 0, 0, 0, 0, self.padded_in - conv.in_channels, 0, self.padded_out - conv.out_channels))
            if stack_width:  # (kd, kw, out, in, kh, 1)
                w = w.permute(0, 4, 1, 2, 3).unsqueeze(-1)
            w = w.reshape(kd * self.width_taps * self.padded_out, self.padded_in, kh, -1)
            self.weight = nn.Parameter(w.contiguous())
            self.bias = nn.Parameter(conv.bias.detach().clone()) if conv.bias is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, d, h, w = x.shape
        if self.padded_in != c:
            x = F.pad(x, (0, 0, 0, 0, 0, 0, 0, self.padded_in - c))
        slices = x.permute(0, 2, 1, 3, 4).reshape(b * d, self.padded_in, h, w)
        y = F.conv2d(slices, self.weight, None, padding=self.padding)
        y = y.view(b, d, self.taps, self.width_taps, self.padded_out, h, w)[:, :, :, :, :self.out_channels]
        # Zero slices (and columns) around the volume stand for the padding.
        y = F.pad(y, (self.width_pad, self.width_pad, 0, 0, 0, 0, 0, 0, 0, 0, self.depth_pad, self.depth_pad))
        out = y[:, 0:d, 0, 0, :, :, 0:w]
        for t in range(1, self.taps * self.width_taps):
            k, j = divmod(t, self.width_taps)
            out = out + y[:, k:k + d, k, j, :, :, j:j + w]
        if self.bias is not None:
            out = out + self.bias.view(1, 1, -1, 1, 1)
        return out.permute(0, 2, 1, 3, 4)


def depth_stack_conv3d(module: nn.Module, min_taps: int = 2, align: int = 8, min_width: int = 256) -> nn.Module:
    """Replaces every Conv3d below `module` whose depth kernel has at least
    `min_taps` taps by DepthStackedConv3d (in place). Where the kernel is large
    (5 taps or more) and the depth-stacked GEMM would be narrower than
    `min_width` (W's 7x7x7 mask convolution: 7 x 24), the width taps are stacked
    too; the 3x3x3 convolutions already run at 350-460 TFLOP/s depth-stacked."""
    def make(c):
        kd, _, kw = c.kernel_size
        narrow = kd >= 5 and kw >= 5 and kd * (-(-c.out_channels // align) * align) < min_width
        return DepthStackedConv3d(c, align, stack_width=narrow)
    return replace_modules(module, lambda c: isinstance(c, nn.Conv3d) and c.kernel_size[0] >= min_taps, make)


class PaddedOutputConv2d(nn.Module):
    """A Conv2d whose output channels are zero-padded to a multiple of `align`
    (zero weights and bias) and sliced back: same function. W's occlusion
    convolution has a single output channel and G's last convolution 12, which
    cuDNN's half-precision tensor-core kernels do not take as they are."""

    def __init__(self, conv: nn.Conv2d, align: int = 8):
        super().__init__()
        self.out_channels = conv.out_channels
        padded = -(-conv.out_channels // align) * align
        self.conv = nn.Conv2d(conv.in_channels, padded, conv.kernel_size, stride=conv.stride,
                              padding=conv.padding, dilation=conv.dilation, groups=conv.groups,
                              bias=conv.bias is not None, padding_mode=conv.padding_mode)
        with torch.no_grad():
            self.conv.weight.zero_()
            self.conv.weight[:conv.out_channels].copy_(conv.weight)
            if conv.bias is not None:
                self.conv.bias.zero_()
                self.conv.bias[:conv.out_channels].copy_(conv.bias)
        self.conv.to(conv.weight.device, conv.weight.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)[:, :self.out_channels]


def pad_conv2d_outputs(module: nn.Module, align: int = 8) -> nn.Module:
    """Replaces every ungrouped Conv2d below `module` whose output channels are
    not a multiple of `align` by PaddedOutputConv2d (in place)."""
    return replace_modules(module, lambda c: isinstance(c, nn.Conv2d) and c.groups == 1 and c.out_channels % align,
                           lambda c: PaddedOutputConv2d(c, align))


class UpsampledConditionConv(nn.Module):
    """conv3x3(nearest_upsample(cond, s)) (zero padding 1) computed at cond's own
    resolution: one 1x1 convolution gives each of the 9 taps' contributions at
    low resolution (9*C_out channels), and the output pixel (Y, X) sums tap
    (dy, dx) of low-resolution pixel ((Y+dy)//s, (X+dx)//s). Exact; s*s times
    fewer multiply-adds than convolving the upsampled condition."""

    def __init__(self, conv: nn.Conv2d):
        super().__init__()
        assert conv.kernel_size == (3, 3) and conv.padding == (1, 1) and conv.stride == (1, 1) and conv.groups == 1
        self.out_channels = conv.out_channels
        self.taps = nn.Conv2d(conv.in_channels, 9 * conv.out_channels, 1, bias=False)
        with torch.no_grad():
            # (C_out, C_in, 3, 3) -> (3, 3, C_out, C_in) -> (9*C_out, C_in, 1, 1): tap-major blocks.
            self.taps.weight.copy_(conv.weight.permute(2, 3, 0, 1).reshape(9 * conv.out_channels, conv.in_channels, 1, 1))
        self.taps.to(conv.weight.device, conv.weight.dtype)
        self.bias = nn.Parameter(conv.bias.detach().clone(), requires_grad=False)

    def forward(self, cond: torch.Tensor, height: int, width: int) -> torch.Tensor:
        h, w = cond.shape[2], cond.shape[3]
        sy, sx = height // h, width // w
        t = F.pad(self.taps(cond), (1, 1, 1, 1))  # zero ring: taps that fall off the image
        c = self.out_channels
        out = self.bias.view(1, -1, 1, 1).to(t.dtype)
        for k in range(9):
            dy, dx = k // 3 - 1, k % 3 - 1
            rows = torch.div(torch.arange(height, device=t.device) + dy + sy, sy, rounding_mode="floor")
            cols = torch.div(torch.arange(width, device=t.device) + dx + sx, sx, rounding_mode="floor")
            out = out + t[:, k * c:(k + 1) * c][:, :, rows[:, None], cols[None, :]]
        return out.contiguous(memory_format=torch.channels_last)


class LowResConditionSPADE(FusedGammaBetaSPADE):
    """FusedGammaBetaSPADE that takes the condition at its own resolution: where
    x is an integer multiple of it, the shared 3x3 convolution of the upsampled
    condition runs as UpsampledConditionConv; otherwise the condition is resized
    first, as before. Same function."""

    def __init__(self, spade: FusedGammaBetaSPADE):
        nn.Module.__init__(self)
        self.param_free_norm = spade.param_free_norm
        self.mlp_shared = spade.mlp_shared
        self.mlp_gamma_beta = spade.mlp_gamma_beta
        self.channels = spade.channels
        self.mlp_shared_upsampled = UpsampledConditionConv(spade.mlp_shared[0])

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[2], x.shape[3]
        if cond.shape[2] == h and cond.shape[3] == w:
            act = self.mlp_shared(cond)
        elif h % cond.shape[2] == 0 and w % cond.shape[3] == 0:
            act = F.relu(self.mlp_shared_upsampled(cond, h, w))
        else:
            act = self.mlp_shared(F.interpolate(cond, size=[h, w], mode="nearest"))
        return self.modulate(x, act)


def low_res_spade_condition(module: nn.Module) -> nn.Module:
    """In every SharedConditionSPADEResBlock below `module` (after
    fuse_spade_gamma_beta), the norms become LowResConditionSPADE and the block
    stops resizing the condition for them (in place)."""
    blocks = [m for m in module.modules() if isinstance(m, SharedConditionSPADEResBlock)]
    for block in blocks:
        replace_modules(block, lambda c: type(c) is FusedGammaBetaSPADE, LowResConditionSPADE)
        block.resize_condition = False
    return module


class TapStackedConv2d(nn.Module):
    """A stride-1, zero-"same"-padded Conv2d with few output channels computed as
    one 1x1 convolution whose output channels stack the kernel's kh*kw taps,
    then a shifted sum over the taps (the 2-D sibling of DepthStackedConv3d).
    W's occlusion convolution (2272 channels -> 1, 7x7, at 64x64) is a GEMM
    4096 wide, 1 (padded: 8) tall and 111,328 deep, which cuDNN runs in 0.25 ms
    on an H100 (~30 TFLOP/s); as a 1x1 convolution it is 49 wide and 2272 deep.
    Same function and FLOPs. Changes the state_dict keys (compiled packages only)."""

    def __init__(self, conv: nn.Conv2d, align: int = 8):
        super().__init__()
        kh, kw = conv.kernel_size
        if (conv.stride != (1, 1) or conv.dilation != (1, 1) or conv.groups != 1 or conv.padding_mode != "zeros"
                or conv.padding != (kh // 2, kw // 2) or kh % 2 == 0 or kw % 2 == 0):
            raise ValueError("TapStackedConv2d needs a stride-1, undilated, ungrouped conv with odd kernels "
                             "and zero 'same' padding")
        self.kernel_size = (kh, kw)
        self.out_channels = conv.out_channels
        taps = kh * kw
        rows = -(-taps * conv.out_channels // align) * align
        with torch.no_grad():
            # (out, in, kh, kw) -> (kh, kw, out, in) -> (taps*out, in, 1, 1), zero rows up to `rows`.
            w = conv.weight.permute(2, 3, 0, 1).reshape(taps * conv.out_channels, conv.in_channels, 1, 1)
            w = F.pad(w, (0, 0, 0, 0, 0, 0, 0, rows - w.shape[0]))
            self.weight = nn.Parameter(w.contiguous())
            self.bias = nn.Parameter(conv.bias.detach().clone()) if conv.bias is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kh, kw = self.kernel_size
        h, w = x.shape[2], x.shape[3]
        c = self.out_channels
        y = F.pad(F.conv2d(x, self.weight), (kw // 2, kw // 2, kh // 2, kh // 2))
        out = y[:, 0:c, 0:h, 0:w]
        for t in range(1, kh * kw):
            i, j = divmod(t, kw)
            out = out + y[:, t * c:(t + 1) * c, i:i + h, j:j + w]
        if self.bias is not None:
            out = out + self.bias.view(1, -1, 1, 1)
        return out


def tap_stack_narrow_conv2d(module: nn.Module, max_out: int = 4, min_in: int = 256) -> nn.Module:
    """Replaces every ungrouped, stride-1, 'same'-padded Conv2d below `module`
    with at most `max_out` output channels, at least `min_in` input channels and
    a kernel larger than 1x1 by TapStackedConv2d (in place)."""
    def matches(c):
        return (isinstance(c, nn.Conv2d) and c.groups == 1 and c.out_channels <= max_out and c.in_channels >= min_in
                and c.kernel_size[0] * c.kernel_size[1] > 1 and c.stride == (1, 1) and c.dilation == (1, 1)
                and c.padding_mode == "zeros" and c.padding == (c.kernel_size[0] // 2, c.kernel_size[1] // 2)
                and c.kernel_size[0] % 2 == 1 and c.kernel_size[1] % 2 == 1)
    return replace_modules(module, matches, TapStackedConv2d)


def upsampled_input_statistics(generator: nn.Module) -> nn.Module:
    """G feeds its two upsampling blocks a 2x nearest-upsampled map, whose mean and
    variance are those of the map before the upsampling. The instance norms that
    read a block's input (norm_0 and, with the learned shortcut, norm_s) take
    their statistics from every 2nd row and column: a quarter of the reads, same
    values. After instance_norm_channels_last; G only (in place)."""
    if not isinstance(generator, SPADEGenerator):
        raise TypeError("upsampled_input_statistics applies to the SPADE generator")
    for block in (generator.up_0, generator.up_1):
        for name in ("norm_0", "norm_s"):
            spade = getattr(block, name, None)
            norm = getattr(spade, "param_free_norm", None)
            if norm is not None:
                if not isinstance(norm, ChannelsLastInstanceNorm):
                    raise TypeError("upsampled_input_statistics needs instance_norm_channels_last first")
                norm.stats_stride = 2
    return generator


class ShiftFoldedShortcutSPADE(LowResConditionSPADE):
    """The learned shortcut conv_s(norm_s(x, cond)) of a SPADE residual block,
    with the 1x1 shortcut convolution (no bias) composed into beta's 3x3 one:
    conv_s(n * scale + shift) = conv_s(n * scale) + (conv_s o beta)(act), and
    conv_s o beta has conv_s's output width (G's up_1: 64 instead of 256
    channels at 256x256, up_0: 256 instead of 512 at 128x128). Gamma's and the
    composed convolution are one convolution of the activation. Same function;
    about 39 GFLOP less per frame. Built from a LowResConditionSPADE (after
    low_res_spade_condition), whose condition path it keeps; the block's conv_s
    becomes the identity."""

    def __init__(self, spade: LowResConditionSPADE, conv_s: nn.Conv2d):
        nn.Module.__init__(self)
        if conv_s.bias is not None or conv_s.kernel_size != (1, 1):
            raise ValueError("ShiftFoldedShortcutSPADE needs a 1x1 shortcut convolution without bias")
        self.param_free_norm = spade.param_free_norm
        self.mlp_shared = spade.mlp_shared
        self.mlp_shared_upsampled = spade.mlp_shared_upsampled
        self.channels = spade.channels
        self.conv_s = conv_s
        gb, c = spade.mlp_gamma_beta, spade.channels
        # Composed in double precision, rounded once to the weights' type.
        ws = conv_s.weight.detach().double().flatten(1)  # (out, C)
        w_gb, b_gb = gb.weight.detach().double(), gb.bias.detach().double()
        self.mlp_scale_shift = nn.Conv2d(gb.in_channels, c + conv_s.out_channels, gb.kernel_size, padding=gb.padding)
        with torch.no_grad():
            self.mlp_scale_shift.weight.copy_(torch.cat([w_gb[:c], torch.einsum("oc,cihw->oihw", ws, w_gb[c:])]))
            self.mlp_scale_shift.bias.copy_(torch.cat([b_gb[:c], ws @ b_gb[c:]]))
        self.mlp_scale_shift.to(gb.weight.device, gb.weight.dtype)

    def modulate(self, x: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        scale_shift = self.mlp_scale_shift(act)
        scale, shift = scale_shift[:, :self.channels], scale_shift[:, self.channels:]
        return self.conv_s(self.param_free_norm(x) * scale) + shift


def fold_shortcut_shift(module: nn.Module) -> nn.Module:
    """In every SharedConditionSPADEResBlock below `module` with a learned
    shortcut (after low_res_spade_condition), norm_s and conv_s become one
    ShiftFoldedShortcutSPADE and conv_s the identity (in place)."""
    for block in [m for m in module.modules() if isinstance(m, SharedConditionSPADEResBlock)]:
        if block.learned_shortcut and isinstance(block.norm_s, LowResConditionSPADE):
            block.norm_s = ShiftFoldedShortcutSPADE(block.norm_s, block.conv_s)
            block.conv_s = nn.Identity()
    return module


class PrecomputedConditionSPADE(FusedGammaBetaSPADE):
    """FusedGammaBetaSPADE whose shared condition convolution (and its ReLU) ran
    outside, merged with others that read the same condition: it takes the
    merged activations, (B, norms, H, W, channels), and uses its own, number
    `index`."""

    index: torch.jit.Final[int]

    def __init__(self, spade: FusedGammaBetaSPADE, index: int):
        nn.Module.__init__(self)
        self.param_free_norm = spade.param_free_norm
        self.mlp_gamma_beta = spade.mlp_gamma_beta
        self.channels = spade.channels
        self.index = index

    def forward(self, x: torch.Tensor, activations: torch.Tensor) -> torch.Tensor:
        return self.modulate(x, activations[:, self.index].permute(0, 3, 1, 2))


class MergedConditionSPADEGenerator(SPADEGenerator):
    """SPADEGenerator whose six 64x64 middle blocks' twelve condition
    convolutions (each 256 -> 128, 3x3, on G's input) run as one convolution
    twelve times as wide: a 4096 x 1536 GEMM fills the GPU where each
    4096 x 128 one left most of it idle. Same function.

    The ReLU after it writes the activations norm by norm, (B, 12, H, W, 128):
    each norm's 128 channels are then one dense channels-last tensor, which the
    next convolution reads as it is. A channel slice of the (B, H, W, 1536)
    output is not, and cost a copy kernel per norm (12 x 3.7 us on an H100)."""

    def __init__(self, generator: SPADEGenerator):
        nn.Module.__init__(self)
        self.fc = generator.fc
        self.middle = nn.ModuleList([getattr(generator, f"G_middle_{i}") for i in range(6)])
        self.up_0, self.up_1, self.conv_img = generator.up_0, generator.up_1, generator.conv_img
        convs = []
        for block in self.middle:
            for name in ("norm_0", "norm_1"):
                norm = getattr(block, name)
                convs.append(norm.mlp_shared[0])
                setattr(block, name, PrecomputedConditionSPADE(norm, len(convs) - 1))
        first = convs[0]
        if any(c.out_channels != first.out_channels for c in convs):
            raise ValueError("the middle blocks' condition convolutions differ in width")
        self.norms = len(convs)
        self.middle_condition = nn.Conv2d(first.in_channels, self.norms * first.out_channels, first.kernel_size,
                                          padding=first.padding)
        with torch.no_grad():
            self.middle_condition.weight.copy_(torch.cat([c.weight for c in convs]))
            self.middle_condition.bias.copy_(torch.cat([c.bias for c in convs]))
        self.middle_condition.to(first.weight.device, first.weight.dtype)

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        a = F.relu(self.middle_condition(feature))
        b, c, h, w = a.shape
        activations = a.reshape(b, self.norms, c // self.norms, h, w).permute(0, 1, 3, 4, 2).contiguous()
        x = self.fc(feature)
        for block in self.middle:
            x = block(x, activations)
        return self.upsample_to_image(x, feature)


def merge_middle_conditions(generator: nn.Module) -> nn.Module:
    """G (after fuse_spade_gamma_beta and low_res_spade_condition) as a
    MergedConditionSPADEGenerator; returns the new module."""
    if not isinstance(generator, SPADEGenerator):
        raise TypeError("merge_middle_conditions applies to the SPADE generator")
    return MergedConditionSPADEGenerator(generator)


class TritonDepthwiseConv2d(nn.Module):
    """A depthwise, stride-1, 'same'-padded Conv2d with bias, run on CUDA by
    depthwise_conv_triton's kernel (torch.ops.livepuppet.depthwise_conv2d) and
    elsewhere by F.conv2d. Same function; keeps the state_dict keys."""

    def __init__(self, conv: nn.Conv2d):
        super().__init__()
        self.weight = conv.weight
        self.bias = conv.bias
        self.padding = conv.padding[0]
        self.groups = conv.groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.is_cuda and depthwise_conv_triton.AVAILABLE:
            # The kernel reads and writes channels-last: consecutive channels are
            # consecutive in memory (in NCHW it is about 2x slower than cuDNN).
            x = x.contiguous(memory_format=torch.channels_last)
            return torch.ops.livepuppet.depthwise_conv2d(x, self.weight, self.bias, self.padding)
        return F.conv2d(x, self.weight, self.bias, padding=self.padding, groups=self.groups)


def triton_depthwise_conv2d(module: nn.Module) -> nn.Module:
    """Replaces every depthwise (groups = in = out channels), stride-1, undilated,
    square-kernel, 'same'-padded Conv2d with bias below `module` by
    TritonDepthwiseConv2d (in place)."""
    def matches(c):
        return (isinstance(c, nn.Conv2d) and c.groups == c.in_channels == c.out_channels and c.groups > 1
                and c.bias is not None and c.stride == (1, 1) and c.dilation == (1, 1)
                and c.padding_mode == "zeros" and c.kernel_size[0] == c.kernel_size[1]
                and c.padding == (c.kernel_size[0] // 2,) * 2 and c.kernel_size[0] % 2 == 1)
    return replace_modules(module, matches, TritonDepthwiseConv2d)


class TritonConvNeXtBlock(nn.Module):
    """A ConvNeXt-V2 block (depthwise conv, LayerNorm, 1x1 expansion, GELU, GRN,
    1x1 projection, residual) whose MLP runs on CUDA in half precision as
    convnext_block_triton's two kernels (torch.ops.livepuppet.convnext_mlp) and
    elsewhere through the block's own norm and GRN modules. The Linear weights
    are held transposed ([in, out], contiguous) for the kernels' B operand."""

    def __init__(self, block: ConvNeXtV2Block):
        super().__init__()
        self.dwconv = block.dwconv
        self.norm = block.norm
        self.grn = block.grn
        self.w1t = nn.Parameter(block.pwconv1.weight.detach().t().contiguous())
        self.b1 = block.pwconv1.bias
        self.w2t = nn.Parameter(block.pwconv2.weight.detach().t().contiguous())
        self.b2 = block.pwconv2.bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.dwconv(x)
        if x.is_cuda and x.dtype == torch.half and convnext_block_triton.AVAILABLE:
            # The kernels index NHWC memory: channels-last for both tensors.
            x = x.contiguous(memory_format=torch.channels_last)
            y = y.contiguous(memory_format=torch.channels_last)
            return torch.ops.livepuppet.convnext_mlp(
                x, y, self.norm.weight, self.norm.bias, self.w1t, self.b1, self.grn.gamma.reshape(-1),
                self.grn.beta.reshape(-1), self.w2t, self.b2, self.norm.eps)
        h = F.gelu(torch.matmul(self.norm(y.permute(0, 2, 3, 1)), self.w1t) + self.b1)
        return x + (torch.matmul(self.grn(h), self.w2t) + self.b2).permute(0, 3, 1, 2)


def triton_convnext_mlp(module: nn.Module) -> nn.Module:
    """Replaces every ConvNeXtV2Block below `module` whose width has tile sizes
    in convnext_block_triton (M's first three stages) by TritonConvNeXtBlock
    (in place; changes state_dict keys: compiled packages only)."""
    return replace_modules(
        module, lambda c: isinstance(c, ConvNeXtV2Block) and c.pwconv1.in_features in convnext_block_triton.EXPAND_TILES,
        TritonConvNeXtBlock)
