"""Keypoint maths of LivePortrait (the Python reference for the C++ runtime).

Conventions (as in the official implementation):
  * head pose comes as 66 logits per angle; degrees = sum(softmax * [0..65]) * 3 - 97.5
  * rotation matrices are applied to row vectors: kp @ R, with
    R = (Rz(roll) @ Ry(yaw) @ Rx(pitch))^T
  * transformed keypoints x = s * (kp @ R + exp), then tx, ty added to x and y
    (t_z is never applied)
All functions take batched tensors (B, ...) and keep the input dtype/device.
"""
import math
from typing import Tuple

import torch
import torch.nn.functional as F

NUM_KP = 21


def bins_to_degrees(logits: torch.Tensor) -> torch.Tensor:
    """(B, 66) pose logits -> (B,) degrees."""
    idx = torch.arange(logits.shape[1], device=logits.device).to(logits.dtype)
    prob = F.softmax(logits, dim=1)
    return torch.sum(prob * idx, dim=1) * 3 - 97.5


def rotation_matrix(pitch_deg: torch.Tensor, yaw_deg: torch.Tensor,
                    roll_deg: torch.Tensor) -> torch.Tensor:
    """Degrees (B,) or (B,1) -> (B,3,3) matrix R to be used as kp @ R."""
    def col(a: torch.Tensor) -> torch.Tensor:
        a = a / 180 * math.pi
        return a.reshape(-1, 1)

    x, y, z = col(pitch_deg), col(yaw_deg), col(roll_deg)
    b = x.shape[0]
    one = torch.ones_like(x)
    zero = torch.zeros_like(x)
    rx = torch.cat([one, zero, zero,
                    zero, torch.cos(x), -torch.sin(x),
                    zero, torch.sin(x), torch.cos(x)], dim=1).reshape(b, 3, 3)
    ry = torch.cat([torch.cos(y), zero, torch.sin(y),
                    zero, one, zero,
                    -torch.sin(y), zero, torch.cos(y)], dim=1).reshape(b, 3, 3)
    rz = torch.cat([torch.cos(z), -torch.sin(z), zero,
                    torch.sin(z), torch.cos(z), zero,
                    zero, zero, one], dim=1).reshape(b, 3, 3)
    return (rz @ ry @ rx).permute(0, 2, 1)


def transform_keypoints(kp: torch.Tensor, R: torch.Tensor, exp: torch.Tensor,
                        scale: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """x = scale * (kp @ R + exp) + [tx, ty, 0].
    kp, exp: (B,63) or (B,21,3); R: (B,3,3); scale: (B,1); t: (B,3) -> (B,21,3)."""
    b = kp.shape[0]
    x = kp.reshape(b, -1, 3) @ R + exp.reshape(b, -1, 3)
    x = x * scale.reshape(b, 1, 1)
    txy = torch.cat([t.reshape(b, 3)[:, :2], torch.zeros_like(t.reshape(b, 3)[:, :1])], dim=1)
    return x + txy.reshape(b, 1, 3)


def motion_to_degrees(pitch: torch.Tensor, yaw: torch.Tensor,
                      roll: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return bins_to_degrees(pitch), bins_to_degrees(yaw), bins_to_degrees(roll)


def stitching_input(x_s: torch.Tensor, x_d: torch.Tensor) -> torch.Tensor:
    """[x_s.flatten, x_d.flatten] -> (B, 126)."""
    b = x_s.shape[0]
    return torch.cat([x_s.reshape(b, -1), x_d.reshape(b, -1)], dim=1)


def apply_stitching(x_d: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """delta (B,65): first 63 added per keypoint, the last two added to x and y of
    every keypoint."""
    b = x_d.shape[0]
    k = x_d.reshape(b, -1, 3).shape[1]
    out = x_d.reshape(b, k, 3) + delta[:, :3 * k].reshape(b, k, 3)
    txy = torch.cat([delta[:, 3 * k:3 * k + 2], torch.zeros_like(delta[:, :1])], dim=1)
    return out + txy.reshape(b, 1, 3)


def retarget_input(x_s: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
    """[x_s.flatten (63), condition (3 for eyes, 2 for lips)]."""
    b = x_s.shape[0]
    return torch.cat([x_s.reshape(b, -1), condition.reshape(b, -1)], dim=1)
