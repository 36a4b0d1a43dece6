#!/usr/bin/env python3
"""Our five networks have exactly the official checkpoint tensors: same keys (in
the same order), shapes and dtypes as ../shared/liveportrait/checkpoint_manifest.json."""
import json

from _common import Failures, require_shared

from liveportrait.registry import MODULES

manifest = json.load(open(require_shared("liveportrait/checkpoint_manifest.json")))
f = Failures()
for name, spec in MODULES.items():
    if spec.subkey:
        ref = manifest["stitching_retargeting_module"][spec.subkey]
        ref = {k[len("module."):]: v for k, v in ref.items()}  # official DDP prefix
    else:
        ref = manifest[name]
    ours = spec.build().state_dict()
    missing = [k for k in ref if k not in ours]
    extra = [k for k in ours if k not in ref]
    f.check(not missing, f"{name}: no official key missing {missing[:5]}")
    f.check(not extra, f"{name}: no extra key {extra[:5]}")
    bad = [k for k in ours if k in ref and (list(ours[k].shape) != ref[k]["shape"]
                                            or str(ours[k].dtype).replace("torch.", "") != ref[k]["dtype"])]
    f.check(not bad, f"{name}: shapes and dtypes of {len(ours)} tensors match {bad[:5]}")
    f.check(list(ours) == list(ref), f"{name}: key order matches")
f.check(set(manifest) == {"appearance_feature_extractor", "motion_extractor", "warping_module",
                          "spade_generator", "stitching_retargeting_module"},
        "manifest lists exactly the five official files")
f.exit()
