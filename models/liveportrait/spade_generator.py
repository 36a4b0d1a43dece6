"""SPADE generator G: warped feature (B,256,64,64) -> image (B,3,512,512) in [0,1].

Six SPADE residual blocks at 64x64 with 512 channels, two upsampling blocks
(to 128 and 256), a 3x3 conv to 12 channels and PixelShuffle(2) to 512x512,
then a sigmoid. Every SPADE block is modulated by the same input feature
("segmentation map" in SPADE's terms).

The residual convs are spectrally normalised in the checkpoint (weight_orig,
weight_u, weight_v). At inference the official code runs in eval mode, where
PyTorch's spectral norm does no power iteration and uses
W = weight_orig / (u . (W_mat v)). SpectralNormConv2d computes exactly that;
bake_spectral_norm() replaces it by a plain Conv2d holding the divided weight
(what the export writes).
"""
from typing import Optional

import torch
from torch import nn
import torch.nn.functional as F


class SpectralNormConv2d(nn.Module):
    """Conv2d whose weight is weight_orig divided by its spectral-norm estimate
    from the stored power-iteration vectors (eval semantics: no update)."""

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, padding: int, bias: bool):
        super().__init__()
        self.padding = padding
        # Registration order bias -> weight_orig -> u -> v is the official key order.
        self.bias: Optional[nn.Parameter] = nn.Parameter(torch.zeros(out_ch)) if bias else None
        self.weight_orig = nn.Parameter(torch.empty(out_ch, in_ch, kernel_size, kernel_size))
        nn.init.kaiming_uniform_(self.weight_orig, a=5 ** 0.5)
        self.register_buffer("weight_u", F.normalize(torch.randn(out_ch), dim=0, eps=1e-12))
        self.register_buffer("weight_v", F.normalize(torch.randn(in_ch * kernel_size * kernel_size),
                                                     dim=0, eps=1e-12))

    def normalized_weight(self) -> torch.Tensor:
        w = self.weight_orig
        sigma = torch.dot(self.weight_u, torch.mv(w.reshape(w.shape[0], -1), self.weight_v))
        return w / sigma

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.normalized_weight(), self.bias, padding=self.padding)

    def to_plain_conv(self) -> nn.Conv2d:
        out_ch, in_ch, k, _ = self.weight_orig.shape
        conv = nn.Conv2d(in_ch, out_ch, k, padding=self.padding, bias=self.bias is not None)
        with torch.no_grad():
            conv.weight.copy_(self.normalized_weight())
            if self.bias is not None:
                conv.bias.copy_(self.bias)
        return conv.to(self.weight_orig.device)


class SPADE(nn.Module):
    """Parameter-free instance norm, then a per-pixel affine map (1 + gamma, beta)
    predicted from the conditioning feature resized (nearest) to x's size."""

    def __init__(self, norm_ch: int, cond_ch: int, hidden: int = 128):
        super().__init__()
        self.param_free_norm = nn.InstanceNorm2d(norm_ch, affine=False)
        self.mlp_shared = nn.Sequential(nn.Conv2d(cond_ch, hidden, kernel_size=3, padding=1),
                                        nn.ReLU())
        self.mlp_gamma = nn.Conv2d(hidden, norm_ch, kernel_size=3, padding=1)
        self.mlp_beta = nn.Conv2d(hidden, norm_ch, kernel_size=3, padding=1)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        normalized = self.param_free_norm(x)
        cond = F.interpolate(cond, size=[x.shape[2], x.shape[3]], mode="nearest")
        act = self.mlp_shared(cond)
        return normalized * (1 + self.mlp_gamma(act)) + self.mlp_beta(act)


class SPADEResBlock(nn.Module):
    """x' = shortcut(x) + conv_1(lrelu(norm_1(conv_0(lrelu(norm_0(x)))))).
    The shortcut is learned (SPADE + 1x1 conv, no bias) when the width changes."""

    # Final: TorchScript resolves the branch at compile time, so blocks without
    # conv_s / norm_s still script.
    learned_shortcut: torch.jit.Final[bool]

    def __init__(self, fin: int, fout: int, cond_ch: int):
        super().__init__()
        self.learned_shortcut = fin != fout
        fmid = min(fin, fout)
        self.conv_0 = SpectralNormConv2d(fin, fmid, 3, 1, bias=True)
        self.conv_1 = SpectralNormConv2d(fmid, fout, 3, 1, bias=True)
        if self.learned_shortcut:
            self.conv_s = SpectralNormConv2d(fin, fout, 1, 0, bias=False)
        self.norm_0 = SPADE(fin, cond_ch)
        self.norm_1 = SPADE(fmid, cond_ch)
        if self.learned_shortcut:
            self.norm_s = SPADE(fin, cond_ch)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        if self.learned_shortcut:
            x_s = self.conv_s(self.norm_s(x, cond))
        else:
            x_s = x
        dx = self.conv_0(F.leaky_relu(self.norm_0(x, cond), 0.2))
        dx = self.conv_1(F.leaky_relu(self.norm_1(dx, cond), 0.2))
        return x_s + dx


class SPADEGenerator(nn.Module):
    def __init__(self, in_ch: int = 256, out_ch: int = 64):
        super().__init__()
        wide = 2 * in_ch
        self.fc = nn.Conv2d(in_ch, wide, kernel_size=3, padding=1)
        self.G_middle_0 = SPADEResBlock(wide, wide, in_ch)
        self.G_middle_1 = SPADEResBlock(wide, wide, in_ch)
        self.G_middle_2 = SPADEResBlock(wide, wide, in_ch)
        self.G_middle_3 = SPADEResBlock(wide, wide, in_ch)
        self.G_middle_4 = SPADEResBlock(wide, wide, in_ch)
        self.G_middle_5 = SPADEResBlock(wide, wide, in_ch)
        self.up_0 = SPADEResBlock(wide, in_ch, in_ch)
        self.up_1 = SPADEResBlock(in_ch, out_ch, in_ch)
        # 3x3 conv to 3*2*2 channels, then sub-pixel shuffle: 256 -> 512 pixels.
        self.conv_img = nn.Sequential(nn.Conv2d(out_ch, 3 * 4, kernel_size=3, padding=1),
                                      nn.PixelShuffle(2))

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        cond = feature
        x = self.fc(feature)
        x = self.G_middle_0(x, cond)
        x = self.G_middle_1(x, cond)
        x = self.G_middle_2(x, cond)
        x = self.G_middle_3(x, cond)
        x = self.G_middle_4(x, cond)
        x = self.G_middle_5(x, cond)
        return self.upsample_to_image(x, cond)

    def upsample_to_image(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """After the middle blocks: the two upsampling blocks, the last conv,
        PixelShuffle and the sigmoid."""
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        x = self.up_0(x, cond)
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        x = self.up_1(x, cond)
        x = self.conv_img(F.leaky_relu(x, 0.2))
        return torch.sigmoid(x)


def bake_spectral_norm(module: nn.Module) -> nn.Module:
    """Replace every SpectralNormConv2d below `module` by an equivalent plain Conv2d
    (in place; returns `module`). After this the weights are the eval-mode
    normalised ones and the state_dict has plain `weight` keys."""
    for name, child in list(module.named_children()):
        if isinstance(child, SpectralNormConv2d):
            setattr(module, name, child.to_plain_conv())
        else:
            bake_spectral_norm(child)
    return module
