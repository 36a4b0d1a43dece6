"""The seven exported networks: how to build each one, where its weights live in
the official checkpoint layout, and its TorchScript signature (models/EXPORT_FORMAT.md)."""
from collections import OrderedDict
from typing import Callable, Dict, List, NamedTuple, Optional

from torch import nn

from .appearance_feature_extractor import AppearanceFeatureExtractor
from .motion_extractor import MotionExtractor
from .spade_generator import SPADEGenerator
from .stitching_retargeting import (CHECKPOINT_KEYS, make_retarget_eye, make_retarget_lip,
                                    make_stitching)
from .warping_network import WarpingNetwork

STITCHING_FILE = "retargeting_models/stitching_retargeting_module.pth"


class Port(NamedTuple):
    name: str
    shape: List[int]  # -1 = any batch size


class ModuleSpec(NamedTuple):
    name: str                 # export name; file is name + ".pt"
    build: Callable[[], nn.Module]
    checkpoint: str           # path relative to the checkpoint folder
    subkey: Optional[str]     # sub-dict inside the checkpoint file, if any
    inputs: List[Port]
    outputs: List[Port]

    @property
    def fake_rule_file(self) -> str:
        """Name make_fake_checkpoints.py hashes ("<file>/<key>") to seed each tensor."""
        base = self.checkpoint.split("/")[-1][:-len(".pth")]
        return base + ("/" + self.subkey if self.subkey else "")


def _spec(name, build, ckpt, subkey, inputs, outputs) -> ModuleSpec:
    return ModuleSpec(name, build, ckpt, subkey, [Port(*p) for p in inputs],
                      [Port(*p) for p in outputs])


B = -1
MODULES: Dict[str, ModuleSpec] = OrderedDict((s.name, s) for s in [
    _spec("appearance_feature_extractor", AppearanceFeatureExtractor,
          "base_models/appearance_feature_extractor.pth", None,
          [("image", [B, 3, 256, 256])], [("feature_3d", [B, 32, 16, 64, 64])]),
    _spec("motion_extractor", MotionExtractor, "base_models/motion_extractor.pth", None,
          [("image", [B, 3, 256, 256])],
          [("pitch", [B, 66]), ("yaw", [B, 66]), ("roll", [B, 66]), ("t", [B, 3]),
           ("exp", [B, 63]), ("scale", [B, 1]), ("kp", [B, 63])]),
    _spec("warping_module", WarpingNetwork, "base_models/warping_module.pth", None,
          [("feature_3d", [B, 32, 16, 64, 64]), ("kp_source", [B, 21, 3]),
           ("kp_driving", [B, 21, 3])],
          [("occlusion_map", [B, 1, 64, 64]), ("deformation", [B, 16, 64, 64, 3]),
           ("out", [B, 256, 64, 64])]),
    _spec("spade_generator", SPADEGenerator, "base_models/spade_generator.pth", None,
          [("feature", [B, 256, 64, 64])], [("image", [B, 3, 512, 512])]),
    _spec("stitching", make_stitching, STITCHING_FILE, CHECKPOINT_KEYS["stitching"],
          [("x", [B, 126])], [("delta", [B, 65])]),
    _spec("retarget_eye", make_retarget_eye, STITCHING_FILE, CHECKPOINT_KEYS["retarget_eye"],
          [("x", [B, 66])], [("delta", [B, 63])]),
    _spec("retarget_lip", make_retarget_lip, STITCHING_FILE, CHECKPOINT_KEYS["retarget_lip"],
          [("x", [B, 65])], [("delta", [B, 63])]),
])
