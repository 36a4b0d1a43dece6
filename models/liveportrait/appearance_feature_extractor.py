"""Appearance feature extractor F: source image (B,3,256,256) in [0,1] ->
3-D appearance feature volume (B,32,16,64,64)."""
import torch
from torch import nn

from .blocks import ConvBnAct2d, ConvBnReluPool2d, PreActResBlock3d


class AppearanceFeatureExtractor(nn.Module):
    def __init__(self, image_channels: int = 3, base_channels: int = 64, num_down: int = 2,
                 max_channels: int = 512, volume_channels: int = 32, volume_depth: int = 16,
                 num_resblocks: int = 6):
        super().__init__()
        self.volume_channels = volume_channels
        self.volume_depth = volume_depth
        self.first = ConvBnAct2d(image_channels, base_channels)
        downs = []
        ch = base_channels
        for i in range(num_down):
            out_ch = min(max_channels, base_channels * (2 ** (i + 1)))
            downs.append(ConvBnReluPool2d(min(max_channels, base_channels * (2 ** i)), out_ch))
            ch = out_ch
        self.down_blocks = nn.ModuleList(downs)
        # 1x1 conv to max_channels = volume_channels * volume_depth, then the 2-D map is
        # read as a 3-D volume (channel axis split into C x D).
        self.second = nn.Conv2d(ch, max_channels, kernel_size=1)
        # Official child names are "3dr0".."3dr5"; they are not Python identifiers,
        # hence add_module.
        self.resblocks_3d = nn.Sequential()
        for i in range(num_resblocks):
            self.resblocks_3d.add_module("3dr" + str(i), PreActResBlock3d(volume_channels))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = self.first(image)
        for block in self.down_blocks:
            x = block(x)
        x = self.second(x)
        b, h, w = x.shape[0], x.shape[2], x.shape[3]
        volume = x.view(b, self.volume_channels, self.volume_depth, h, w)
        return self.resblocks_3d(volume)
