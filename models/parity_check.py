#!/usr/bin/env python3
"""Check our LivePortrait networks and keypoint maths against a reference fixture.

  parity_check.py --checkpoints DIR --fixture FIX      (eager modules from checkpoints)
  parity_check.py --torchscript OUT --fixture FIX      (the exported TorchScript files)
  [--only F,M,KP,S,W,G] [--json FILE]

FIX holds index.json + NAME.npy (e.g. ../shared/liveportrait/parity_seed1).
Every array of the fixture that we can recompute is compared; each stage is fed
the fixture's own inputs (the previous stage's reference output), so a failure
points at one stage. Arrays whose inputs are absent from the fixture are not
checked, and networks that no present array needs are not loaded (the real
stitching fixture needs only the three MLPs).

Tolerance: max|d| <= tol * (1 + max|ref|), tol = 1e-5 for keypoints, motion
outputs and MLPs, 1e-4 for feature volumes and images (F, W, G).
Prints one line per array and "N passed, M failed"; exit status 1 on failure.
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from liveportrait import keypoints as kpm  # noqa: E402
from liveportrait.checkpoints import CheckpointError, build_loaded  # noqa: E402
from liveportrait.registry import MODULES  # noqa: E402
from liveportrait.spade_generator import bake_spectral_norm  # noqa: E402

VOLUME_ARRAYS = ("F_feature_3d", "W_occlusion_map", "W_deformation", "W_out", "G_image")
TOL_KEYPOINTS = 1e-5
TOL_VOLUMES = 1e-4
MOTION_KEYS = ("pitch", "yaw", "roll", "t", "exp", "scale", "kp")


class Networks:
    """Loads each network on first use, from checkpoints or TorchScript files."""

    def __init__(self, checkpoints=None, torchscript=None):
        self.checkpoints = checkpoints
        self.torchscript = torchscript
        self.cache = {}

    def __getitem__(self, name):
        if name not in self.cache:
            if self.torchscript:
                self.cache[name] = torch.jit.load(os.path.join(self.torchscript, name + ".pt"),
                                                  map_location="cpu").eval()
            else:
                self.cache[name] = bake_spectral_norm(build_loaded(MODULES[name], self.checkpoints))
        return self.cache[name]


def load_fixture(path):
    with open(os.path.join(path, "index.json")) as f:
        index = json.load(f)
    arrays = {name: np.load(os.path.join(path, name + ".npy")) for name in index}
    return index, arrays


def compute(arrays, nets, stages):
    """Yield (name, our value) for every fixture array we can recompute."""
    T = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in arrays.items()}
    have = lambda *names: all(n in T for n in names)  # noqa: E731
    wanted = lambda *names: any(n in T for n in names)  # noqa: E731

    def image(name):
        return (T[name].float() / 255.0).permute(2, 0, 1).unsqueeze(0).contiguous()

    with torch.no_grad():
        if "F" in stages and have("source_rgb_u8") and wanted("F_feature_3d"):
            yield "F_feature_3d", nets["appearance_feature_extractor"](image("source_rgb_u8"))
        for tag in ("source", "driving"):
            names = [f"M_{tag}_{k}" for k in MOTION_KEYS]
            if "M" in stages and have(f"{tag}_rgb_u8") and wanted(*names):
                out = nets["motion_extractor"](image(f"{tag}_rgb_u8"))
                for n, v in zip(names, out):
                    yield n, v
            # Keypoint maths, fed the fixture's raw motion outputs.
            if "KP" in stages and have(*names):
                m = {k: T[f"M_{tag}_{k}"] for k in MOTION_KEYS}
                p, y, r = kpm.motion_to_degrees(m["pitch"], m["yaw"], m["roll"])
                yield f"{tag}_pitch_deg", p.reshape(-1, 1)
                yield f"{tag}_yaw_deg", y.reshape(-1, 1)
                yield f"{tag}_roll_deg", r.reshape(-1, 1)
                if have(f"{tag}_pitch_deg", f"{tag}_yaw_deg", f"{tag}_roll_deg"):
                    R = kpm.rotation_matrix(T[f"{tag}_pitch_deg"], T[f"{tag}_yaw_deg"],
                                            T[f"{tag}_roll_deg"])
                    yield f"{tag}_R", R
                    if have(f"{tag}_R"):
                        yield f"{tag}_x", kpm.transform_keypoints(m["kp"], T[f"{tag}_R"], m["exp"],
                                                                  m["scale"], m["t"])
        if "KP" in stages and have("M_source_kp", "driving_R", "M_driving_exp", "M_driving_scale",
                                   "M_driving_t"):
            yield "x_d_abs", kpm.transform_keypoints(T["M_source_kp"], T["driving_R"],
                                                     T["M_driving_exp"], T["M_driving_scale"],
                                                     T["M_driving_t"])
        if "S" in stages and have("source_x", "x_d_abs") and wanted("S_stitching_delta",
                                                                    "x_d_stitched"):
            delta = nets["stitching"](kpm.stitching_input(T["source_x"], T["x_d_abs"]))
            yield "S_stitching_delta", delta
            if have("S_stitching_delta"):
                yield "x_d_stitched", kpm.apply_stitching(T["x_d_abs"], T["S_stitching_delta"])
        if "S" in stages and have("source_x", "eye_condition") and wanted("S_eye_delta"):
            d = nets["retarget_eye"](kpm.retarget_input(T["source_x"], T["eye_condition"]))
            yield "S_eye_delta", d.reshape(-1, kpm.NUM_KP, 3)
        if "S" in stages and have("source_x", "lip_condition") and wanted("S_lip_delta"):
            d = nets["retarget_lip"](kpm.retarget_input(T["source_x"], T["lip_condition"]))
            yield "S_lip_delta", d.reshape(-1, kpm.NUM_KP, 3)
        if "W" in stages and have("F_feature_3d", "source_x", "x_d_stitched") and \
                wanted("W_occlusion_map", "W_deformation", "W_out"):
            occ, deform, out = nets["warping_module"](T["F_feature_3d"], T["source_x"],
                                                      T["x_d_stitched"])
            yield "W_occlusion_map", occ
            yield "W_deformation", deform
            yield "W_out", out
        if "G" in stages and have("W_out") and wanted("G_image"):
            yield "G_image", nets["spade_generator"](T["W_out"])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoints", help="official-layout checkpoint folder")
    src.add_argument("--torchscript", help="folder written by export_torchscript.py")
    ap.add_argument("--fixture", required=True, help="folder with index.json and NAME.npy")
    ap.add_argument("--only", default="F,M,KP,S,W,G",
                    help="stages to check (comma-separated of F,M,KP,S,W,G)")
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args(argv)
    stages = set(args.only.split(","))

    try:
        index, arrays = load_fixture(args.fixture)
    except (OSError, ValueError) as e:
        print(f"error: cannot read fixture {args.fixture}: {e}", file=sys.stderr)
        return 2
    nets = Networks(args.checkpoints, args.torchscript)
    results = []
    passed = failed = 0
    t0 = time.time()
    try:
        for name, ours in compute(arrays, nets, stages):
            if name not in arrays:
                continue
            ref = arrays[name].astype(np.float64)
            got = ours.detach().double().numpy()
            tol = TOL_VOLUMES if name in VOLUME_ARRAYS else TOL_KEYPOINTS
            limit = tol * (1.0 + np.abs(ref).max())
            if got.shape != ref.shape:
                ok, err = False, float("inf")
                detail = f"shape {list(got.shape)} != {list(ref.shape)}"
            else:
                err = float(np.abs(got - ref).max())
                ok = bool(np.isfinite(err) and err <= limit)
                detail = ""
            passed += ok
            failed += not ok
            results.append({"name": name, "max_abs_diff": err, "limit": limit, "ok": ok})
            print(f"{'PASS' if ok else 'FAIL'}  {name:20s} max|d| = {err:.3e}  (limit {limit:.1e})"
                  f"{'  ' + detail if detail else ''}  [{time.time() - t0:5.1f} s]", flush=True)
    except (CheckpointError, OSError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    unchecked = [n for n in index if n not in {r["name"] for r in results}
                 and not n.endswith("_u8") and n not in ("eye_condition", "lip_condition")]
    if unchecked and args.only == ap.get_default("only"):
        print(f"note: used as given, not recomputed (their inputs are absent): {', '.join(unchecked)}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"fixture": args.fixture, "results": results}, f, indent=1)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
