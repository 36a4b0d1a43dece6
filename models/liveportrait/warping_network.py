"""Warping module W: warps the source feature volume by the dense motion that
the keypoints imply, folds depth into channels and projects to the 256-channel
feature that G decodes; the occlusion map scales the result."""
from typing import Tuple

import torch
from torch import nn
import torch.nn.functional as F

from .blocks import ConvBnAct2d
from .dense_motion import DenseMotionNetwork


class WarpingNetwork(nn.Module):
    def __init__(self, num_kp: int = 21, feature_channels: int = 32, folded_channels: int = 512,
                 out_channels: int = 256):
        super().__init__()
        self.dense_motion_network = DenseMotionNetwork(num_kp=num_kp,
                                                       feature_channels=feature_channels)
        self.third = ConvBnAct2d(folded_channels, out_channels, leaky=True)
        self.fourth = nn.Conv2d(out_channels, out_channels, kernel_size=1)

    def forward(self, feature_3d: torch.Tensor, kp_source: torch.Tensor,
                kp_driving: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns (occlusion_map (B,1,64,64), deformation (B,16,64,64,3), out (B,256,64,64))."""
        deformation, occlusion = self.dense_motion_network(feature_3d, kp_source, kp_driving)
        warped = F.grid_sample(feature_3d, deformation.to(feature_3d.dtype), align_corners=False)
        b, c, d, h, w = warped.shape
        out = self.fourth(self.third(warped.view(b, c * d, h, w)))
        return occlusion, deformation, out * occlusion
