#!/usr/bin/env python3
"""ctest fixture lp_models_seed1: exported models that other tests compare with
the reference fixtures of ../shared/liveportrait.

usage: export_seed1_fixture.py BUILD_DIR
  BUILD_DIR/models-ckpt-seed1/       fake checkpoints, make_fake_checkpoints.py --seed 1
  BUILD_DIR/models-seed1/            their TorchScript export (matches parity_seed1)
  BUILD_DIR/models-ckpt-seed1-real/  only the real stitching/retargeting checkpoint
  BUILD_DIR/models-seed1-real/       models-seed1 with the three MLPs re-exported from
                                     the real checkpoint (matches real/parity_seed1)
"""
import os
import shutil
import subprocess
import sys
import time

from _common import MODELS_DIR, Failures, require_shared

EXPORTER = os.path.join(MODELS_DIR, "export_torchscript.py")
MLPS = "stitching,retarget_eye,retarget_lip"

make_fake = require_shared("liveportrait/make_fake_checkpoints.py")
real_stitching = require_shared("liveportrait/real/stitching_retargeting_module.pth")
build = os.path.abspath(sys.argv[1])
ckpt = os.path.join(build, "models-ckpt-seed1")
out = os.path.join(build, "models-seed1")
ckpt_real = os.path.join(build, "models-ckpt-seed1-real")
out_real = os.path.join(build, "models-seed1-real")
f = Failures()


def run(label, cmd):
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    print(r.stdout + r.stderr, end="")
    f.check(r.returncode == 0, f"{label} (exit {r.returncode}) [{time.time() - t0:.0f} s]")
    if r.returncode != 0:
        f.exit()


for d in (out, out_real, ckpt_real):
    shutil.rmtree(d, ignore_errors=True)
run("fake seed-1 checkpoints", [sys.executable, make_fake, ckpt, "--seed", "1"])
# --no-verify: models_parity_seed1 compares these very files with the official
# outputs, a stronger check than the exporter's eager-vs-TorchScript one.
run("export models-seed1", [sys.executable, EXPORTER, "--checkpoints", ckpt, "--out", out,
                            "--no-verify"])

# The real checkpoint folder holds only the stitching file: the base networks
# of models-seed1-real are the fake ones, hard-linked from models-seed1.
os.makedirs(os.path.join(ckpt_real, "retargeting_models"))
shutil.copyfile(real_stitching,
                os.path.join(ckpt_real, "retargeting_models", "stitching_retargeting_module.pth"))
os.makedirs(out_real)
for name in os.listdir(out):
    src, dst = os.path.join(out, name), os.path.join(out_real, name)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)
os.unlink(os.path.join(out_real, "manifest.json"))
shutil.copyfile(os.path.join(out, "manifest.json"), os.path.join(out_real, "manifest.json"))
for name in MLPS.split(","):
    os.unlink(os.path.join(out_real, name + ".pt"))  # do not write through the hard links
run("export models-seed1-real (real stitching/retargeting MLPs)",
    [sys.executable, EXPORTER, "--checkpoints", ckpt_real, "--out", out_real, "--only", MLPS])
f.exit()
