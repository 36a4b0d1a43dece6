#!/usr/bin/env python3
"""Python parity of our networks and keypoint maths with the official outputs.

usage: run_parity.py seed1 BUILD_DIR   (needs the lp_models_seed1 fixture)
       run_parity.py real  BUILD_DIR
seed1: the cheap stages (F, M, keypoint maths, MLPs) in eager mode from the
fake checkpoints, then every array from the exported TorchScript files.
real:  the MLP arrays of real/parity_seed1, eager from the real checkpoint and
from the exported TorchScript files."""
import os
import subprocess
import sys

from _common import MODELS_DIR, Failures, require_shared

which, build = sys.argv[1], os.path.abspath(sys.argv[2])
PARITY = os.path.join(MODELS_DIR, "parity_check.py")
f = Failures()
if which == "seed1":
    fixture = require_shared("liveportrait/parity_seed1")
    ckpt, exported = os.path.join(build, "models-ckpt-seed1"), os.path.join(build, "models-seed1")
    runs = [["--checkpoints", ckpt, "--only", "F,M,KP,S"], ["--torchscript", exported]]
else:
    fixture = require_shared("liveportrait/real/parity_seed1")
    ckpt = os.path.join(build, "models-ckpt-seed1-real")
    exported = os.path.join(build, "models-seed1-real")
    runs = [["--checkpoints", ckpt], ["--torchscript", exported]]
for d in (ckpt, exported):
    f.check(os.path.isdir(d), f"{d} exists (made by the test models_export_seed1)")
for args in runs:
    r = subprocess.run([sys.executable, PARITY, "--fixture", fixture] + args,
                       capture_output=True, text=True)
    print(r.stdout + r.stderr, end="")
    f.check(r.returncode == 0, f"parity_check {' '.join(args)} (exit {r.returncode})")
f.exit()
