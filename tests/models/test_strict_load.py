#!/usr/bin/env python3
"""The exporter refuses a checkpoint that does not fit, and says which key of
which file is wrong (exit status 2, nothing half-written claimed as valid)."""
import contextlib
import io
import os
import tempfile

import torch

from _common import Failures

import export_torchscript
from liveportrait.checkpoints import random_state_dict
from liveportrait.registry import MODULES

f = Failures()


def write_layout(root, tweak_af=None, tweak_stitch=None):
    """Official layout with the small files only (F and the three MLPs)."""
    os.makedirs(os.path.join(root, "base_models"), exist_ok=True)
    os.makedirs(os.path.join(root, "retargeting_models"), exist_ok=True)
    spec = MODULES["appearance_feature_extractor"]
    sd = random_state_dict(spec.build(), spec, 5)
    if tweak_af:
        tweak_af(sd)
    torch.save(sd, os.path.join(root, spec.checkpoint))
    stitch = {}
    for name in ("stitching", "retarget_eye", "retarget_lip"):
        s = MODULES[name]
        stitch[s.subkey] = {"module." + k: v for k, v in random_state_dict(s.build(), s, 5).items()}
    if tweak_stitch:
        tweak_stitch(stitch)
    torch.save(stitch, os.path.join(root, MODULES["stitching"].checkpoint))


def export(root, only):
    """Runs the exporter's command line in this process (saves a torch import per case)."""
    out = os.path.join(root, "out")
    text = io.StringIO()
    with contextlib.redirect_stdout(text), contextlib.redirect_stderr(text):
        try:
            rc = export_torchscript.main(["--checkpoints", root, "--out", out, "--only", only,
                                          "--no-verify"])
        except SystemExit as e:  # argparse errors
            rc = e.code
    return rc, text.getvalue(), out


def expect_error(label, only, fragments, **tweaks):
    with tempfile.TemporaryDirectory() as root:
        write_layout(root, **tweaks)
        rc, text, out = export(root, only)
        f.check(rc == 2, f"{label}: exit status 2 (got {rc})")
        for frag in fragments:
            frag = frag.replace("ROOT", root)
            f.check(frag in text, f"{label}: message names {frag!r}")
        f.check(not os.path.exists(os.path.join(out, "manifest.json")),
                f"{label}: no manifest.json written")
        if rc != 2:
            print(text)


# A well-formed folder exports (sanity check of the test's own layout).
with tempfile.TemporaryDirectory() as root:
    write_layout(root)
    rc, text, out = export(root, "appearance_feature_extractor,stitching")
    f.check(rc == 0, f"valid checkpoints export (exit {rc})")
    if rc != 0:
        print(text)

af_file = "ROOT/base_models/appearance_feature_extractor.pth"
st_file = "ROOT/retargeting_models/stitching_retargeting_module.pth"
expect_error("unexpected key", "appearance_feature_extractor",
             [af_file, "unexpected", "'first.conv.extra'"],
             tweak_af=lambda sd: sd.__setitem__("first.conv.extra", torch.zeros(3)))
expect_error("missing key", "appearance_feature_extractor",
             [af_file, "missing", "'second.bias'"],
             tweak_af=lambda sd: sd.pop("second.bias"))
expect_error("wrong shape", "appearance_feature_extractor",
             [af_file, "'second.weight'", "[512, 256, 1, 1]"],
             tweak_af=lambda sd: sd.__setitem__("second.weight", torch.zeros(512, 128, 1, 1)))
expect_error("missing key in stitching sub-dict", "stitching",
             [st_file, "retarget_shoulder", "missing", "'mlp.6.bias'"],
             tweak_stitch=lambda s: s["retarget_shoulder"].pop("module.mlp.6.bias"))
expect_error("missing sub-dict", "retarget_eye", [st_file, "retarget_eye"],
             tweak_stitch=lambda s: s.pop("retarget_eye"))

with tempfile.TemporaryDirectory() as root:
    os.makedirs(os.path.join(root, "base_models"))
    rc, text, _ = export(root, "appearance_feature_extractor")
    f.check(rc == 2 and "appearance_feature_extractor.pth" in text and "not found" in text,
            f"missing file: exit 2 and the file is named (exit {rc})")
    with open(os.path.join(root, "base_models", "appearance_feature_extractor.pth"), "wb") as fh:
        fh.write(b"PK\x03\x04 this is a truncated download")
    rc, text, _ = export(root, "appearance_feature_extractor")
    f.check(rc == 2 and "appearance_feature_extractor.pth" in text and "cannot be read" in text,
            f"corrupt file: exit 2 and the file is named (exit {rc})")
# A failed export over a working folder leaves it as it was: no module of the
# new, broken set replaces one of the old (F is exported before the damaged
# stitching file is met), and no temporary file stays behind.
with tempfile.TemporaryDirectory() as root:
    write_layout(root)
    rc, text, out = export(root, "appearance_feature_extractor,stitching")
    f.check(rc == 0, f"first export succeeds (exit {rc})")
    before = {n: open(os.path.join(out, n), "rb").read() for n in sorted(os.listdir(out))}
    write_layout(root, tweak_af=lambda sd: sd["second.bias"].add_(1.0))
    with open(os.path.join(root, MODULES["stitching"].checkpoint), "wb") as fh:
        fh.write(b"PK\x03\x04 cut short")
    rc, text, out = export(root, "appearance_feature_extractor,stitching")
    f.check(rc == 2, f"re-export from a damaged checkpoint fails (exit {rc})")
    after = {n: open(os.path.join(out, n), "rb").read() for n in sorted(os.listdir(out))}
    f.check(after == before, "the folder holds exactly the files of the first export "
            f"(before {sorted(before)}, after {sorted(after)})")

# The parent of the official folder: the message points at its subfolder.
with tempfile.TemporaryDirectory() as parent:
    write_layout(os.path.join(parent, "liveportrait"))
    rc, text, _ = export(parent, "appearance_feature_extractor")
    f.check(rc == 2 and os.path.join(parent, "liveportrait") in text,
            f"pretrained_weights instead of pretrained_weights/liveportrait: the subfolder is named (exit {rc})")
f.exit()
