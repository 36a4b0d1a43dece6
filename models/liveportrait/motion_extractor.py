"""Motion extractor M: image (B,3,256,256) -> raw (pitch[66], yaw[66], roll[66],
t[3], exp[63], scale[1], kp[63]). Degrees, rotation and keypoint transforms are
done outside the network (keypoints.py, and the C++ runtime)."""
from typing import Tuple

import torch
from torch import nn

from .convnextv2 import ConvNeXtV2

MOTION_OUTPUT_NAMES = ("pitch", "yaw", "roll", "t", "exp", "scale", "kp")


class MotionExtractor(nn.Module):
    def __init__(self, num_kp: int = 21, num_bins: int = 66):
        super().__init__()
        # The official checkpoint nests the backbone under "detector.".
        self.detector = ConvNeXtV2(depths=[3, 3, 9, 3], dims=[96, 192, 384, 768],
                                   num_kp=num_kp, num_bins=num_bins)

    def forward(self, image: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor,
                                                     torch.Tensor, torch.Tensor, torch.Tensor,
                                                     torch.Tensor]:
        return self.detector(image)
