"""Dense-motion network inside W: turns the sparse keypoint motion (source and
driving keypoints, 21 each) into a dense 3-D deformation grid and an occlusion
map, by letting a 3-D hourglass choose, per voxel, a soft mixture of the 21
keypoint-induced translations plus the identity (background)."""
from typing import Tuple

import torch
from torch import nn
import torch.nn.functional as F

from .blocks import Hourglass3d, keypoint_gaussians, normalized_grid_3d

# Variance of the keypoint heatmap Gaussians in normalised [-1, 1] coordinates.
KP_VARIANCE = 0.01


class DenseMotionNetwork(nn.Module):
    def __init__(self, num_kp: int = 21, feature_channels: int = 32, compress: int = 4,
                 base_channels: int = 32, levels: int = 5, max_channels: int = 1024,
                 depth: int = 16):
        super().__init__()
        self.num_kp = num_kp
        self.kp_variance = KP_VARIANCE
        # Per motion candidate (background + each keypoint): 1 heatmap channel +
        # the compressed feature warped by that candidate.
        self.hourglass = Hourglass3d((num_kp + 1) * (compress + 1), base_channels, levels,
                                     max_channels)
        out_ch = self.hourglass.out_channels
        self.mask = nn.Conv3d(out_ch, num_kp + 1, kernel_size=7, padding=3)
        self.compress = nn.Conv3d(feature_channels, compress, kernel_size=1)
        self.norm = nn.BatchNorm3d(compress, affine=True)
        # Occlusion is predicted in 2-D from the hourglass volume with depth folded
        # into channels.
        self.occlusion = nn.Conv2d(out_ch * depth, 1, kernel_size=7, padding=3)

    def forward(self, feature: torch.Tensor, kp_source: torch.Tensor,
                kp_driving: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """feature: (B,32,d,h,w); kp_*: (B,21,3) in normalised (x, y, z).
        Returns (deformation (B,d,h,w,3) in the keypoints' dtype, occlusion (B,1,h,w)).

        The keypoints may be float32 while the network runs in half precision:
        then the coordinate maths (grid, motions, softmax mixture) stays in
        float32, which is what the official implementation gets under autocast.
        """
        compressed = F.relu(self.norm(self.compress(feature)))
        b, c, d, h, w = compressed.shape
        k1 = self.num_kp + 1
        coord = kp_source.dtype

        # Candidate motions: for keypoint k a voxel p samples the source at
        # p - kp_driving[k] + kp_source[k] (zeroth-order, translation only);
        # candidate 0 is the identity.
        grid = normalized_grid_3d(d, h, w, kp_source)  # (d,h,w,3)
        per_kp = grid.view(1, 1, d, h, w, 3) - kp_driving.to(coord).view(b, self.num_kp, 1, 1, 1, 3) \
            + kp_source.view(b, self.num_kp, 1, 1, 1, 3)
        identity = grid.view(1, 1, d, h, w, 3).expand(b, 1, d, h, w, 3)
        motions = torch.cat([identity, per_kp], dim=1)  # (B, K+1, d, h, w, 3)

        # Warp the compressed feature by every candidate motion.
        repeated = compressed.unsqueeze(1).expand(b, k1, c, d, h, w).reshape(b * k1, c, d, h, w)
        warped = F.grid_sample(repeated, motions.reshape(b * k1, d, h, w, 3).to(compressed.dtype),
                               align_corners=False)
        warped = warped.view(b, k1, c, d, h, w)

        # Heatmaps: driving minus source Gaussians; zeros for the background candidate.
        heat = keypoint_gaussians(kp_driving.to(coord), grid, self.kp_variance) \
            - keypoint_gaussians(kp_source, grid, self.kp_variance)
        heat = torch.cat([torch.zeros_like(heat[:, :1]), heat], dim=1).to(compressed.dtype)

        x = torch.cat([heat.unsqueeze(2), warped], dim=2).view(b, k1 * (c + 1), d, h, w)
        prediction = self.hourglass(x)

        mask = F.softmax(self.mask(prediction).to(coord), dim=1)  # (B, K+1, d, h, w)
        # Soft mixture of the candidate motions.
        deformation = (motions.permute(0, 1, 5, 2, 3, 4) * mask.unsqueeze(2)).sum(dim=1)
        deformation = deformation.permute(0, 2, 3, 4, 1)  # (B, d, h, w, 3)

        pb, pc, pd, ph, pw = prediction.shape
        occlusion = torch.sigmoid(self.occlusion(prediction.reshape(pb, pc * pd, ph, pw)))
        return deformation, occlusion
