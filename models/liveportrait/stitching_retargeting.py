"""The three small MLPs S: stitching (126 -> 65), lip retargeting (65 -> 63) and
eye retargeting (66 -> 63). Linear layers with ReLU between them; the indices of
the Linear layers inside `mlp` (0, 2, 4, ...) are the checkpoint keys."""
from typing import List

import torch
from torch import nn

# (input size, hidden sizes, output size) as published with the official weights.
STITCHING_SIZES = (126, [128, 128, 64], 65)   # [x_s, x_d] -> delta exp (63) + tx, ty
LIP_SIZES = (65, [128, 128, 64], 63)          # [x_s, lip condition (2)] -> delta exp
EYE_SIZES = (66, [256, 256, 128, 128, 64], 63)  # [x_s, eye condition (3)] -> delta exp

# Sub-dict of stitching_retargeting_module.pth that holds each network.
CHECKPOINT_KEYS = {"stitching": "retarget_shoulder", "retarget_lip": "retarget_mouth",
                   "retarget_eye": "retarget_eye"}


class KeypointMLP(nn.Module):
    def __init__(self, in_size: int, hidden: List[int], out_size: int):
        super().__init__()
        layers: List[nn.Module] = []
        prev = in_size
        for h in hidden:
            layers.append(nn.Linear(prev, h))
            layers.append(nn.ReLU())
            prev = h
        layers.append(nn.Linear(prev, out_size))
        self.mlp = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(x)


def make_stitching() -> KeypointMLP:
    return KeypointMLP(*STITCHING_SIZES)


def make_retarget_lip() -> KeypointMLP:
    return KeypointMLP(*LIP_SIZES)


def make_retarget_eye() -> KeypointMLP:
    return KeypointMLP(*EYE_SIZES)
