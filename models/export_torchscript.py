#!/usr/bin/env python3
"""Export the LivePortrait networks to TorchScript for LivePuppet's C++ runtime.

  export_torchscript.py --checkpoints DIR --out OUT [--device cpu|cuda]
  export_torchscript.py --random-init [--seed N] --out OUT

DIR is the official pretrained_weights/liveportrait folder (base_models/*.pth,
retargeting_models/stitching_retargeting_module.pth). Loading is strict: a
missing, unexpected or mis-shaped key is an error naming the key and the file
(exit status 2). OUT receives one scripted module per network plus
manifest.json, as specified in models/EXPORT_FORMAT.md (format
"livepuppet-torchscript", version 1). Spectral norm is baked into plain convs;
modules are in eval mode and float32.

--random-init writes the same files from deterministic weights (the rule of
make_fake_checkpoints.py, so seed N equals the fake checkpoints of seed N):
for tests and benchmarks without the real weights.
Works with PyTorch 1.13 (Debian python3-torch) and 2.x.
"""
import argparse
import datetime
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402

from liveportrait.checkpoints import CheckpointError, build_loaded, sha256_of  # noqa: E402
from liveportrait.registry import MODULES  # noqa: E402
from liveportrait.spade_generator import bake_spectral_norm  # noqa: E402
from export_optimizations import instance_norm_channels_last, share_spade_condition  # noqa: E402

FORMAT = "livepuppet-torchscript"
FORMAT_VERSION = 1


def write_json(path: str, value) -> None:
    """Writes `value` as indented JSON through a temporary file that replaces
    `path` only once complete, so a full disk or an interrupted export never
    leaves a truncated manifest behind."""
    tmp = path + ".tmp"
    try:
        with open(tmp, "w") as f:
            json.dump(value, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def example_inputs(spec, batch, device, dtype=torch.float32):
    g = torch.Generator().manual_seed(1234)
    out = []
    for port in spec.inputs:
        shape = [batch] + port.shape[1:]
        if port.name.startswith("kp"):
            t = torch.rand(shape, generator=g) * 1.6 - 0.8  # keypoints live in [-1, 1]
        else:
            t = torch.rand(shape, generator=g)
        out.append(t.to(device=device, dtype=dtype))
    return out


def as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def check_outputs(spec, outputs, batch):
    outputs = as_tuple(outputs)
    if len(outputs) != len(spec.outputs):
        raise RuntimeError(f"{spec.name}: {len(outputs)} outputs, expected {len(spec.outputs)}")
    for port, t in zip(spec.outputs, outputs):
        want = [batch] + port.shape[1:]
        if list(t.shape) != want:
            raise RuntimeError(f"{spec.name}: output {port.name} has shape {list(t.shape)}, "
                               f"expected {want}")
        if not torch.isfinite(t).all():
            raise RuntimeError(f"{spec.name}: output {port.name} is not finite")


def check_folders(args, names) -> str:
    """What is wrong with --checkpoints / --out before anything is written, or ""."""
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        return f"--out {args.out} is a file, not a folder"
    if args.random_init:
        return ""
    if not os.path.isdir(args.checkpoints):
        return f"--checkpoints {args.checkpoints}: no such folder"
    missing = sorted({MODULES[n].checkpoint for n in names
                      if not os.path.isfile(os.path.join(args.checkpoints, MODULES[n].checkpoint))})
    if not missing:
        return ""
    why = f"{', '.join(missing)} not found in --checkpoints {args.checkpoints}"
    nested = os.path.join(args.checkpoints, "liveportrait")
    if os.path.isdir(nested):
        why += f"; the official files are in its liveportrait/ subfolder: --checkpoints {nested}"
    return why


def export(args) -> int:
    names = args.only.split(",") if args.only else list(MODULES)
    problem = check_folders(args, names)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    device = torch.device(args.device)
    if device.type == "cuda":
        # Verification compares eager with TorchScript: TF32 convs would make the
        # two differ by ~1e-4 through algorithm choice alone.
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    verify_tol = 1e-5 if device.type == "cpu" else 1e-4
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "torch_version": torch.__version__.split("+")[0],
        "created_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "weights": "random-init" if args.random_init else "official",
        "seed": args.seed if args.random_init else None,
        "export_rewrites": (["instance_norm_channels_last", "share_spade_condition"]
                            if args.gpu_optimize else []),
        "modules": {},
    }
    manifest_path = os.path.join(args.out, "manifest.json")
    if args.only and os.path.isfile(manifest_path):
        # Updating some modules of an existing export: keep the other entries.
        with open(manifest_path) as f:
            previous = json.load(f)
        if previous.get("format") == FORMAT and previous.get("format_version") == FORMAT_VERSION:
            manifest["modules"] = {k: v for k, v in previous.get("modules", {}).items()
                                   if k not in names}
            if (previous.get("weights"), previous.get("seed")) != (manifest["weights"],
                                                                    manifest["seed"]):
                print(f"error: {manifest_path} holds {previous.get('weights')} weights; "
                      f"refusing to mix in {manifest['weights']} modules (use another --out)",
                      file=sys.stderr)
                return 2
    # Every module is written beside its final name (".pt.tmp") and renamed
    # into place only once all of them exported and verified: a failed run
    # (a damaged checkpoint, a full disk, Ctrl+C) leaves a working folder as
    # it was, instead of a mix of old and new files.
    staged = {}
    try:
        if export_modules(args, names, device, verify_tol, manifest, staged) != 0:
            return 1
        for name, tmp in staged.items():
            os.replace(tmp, os.path.join(args.out, name + ".pt"))
        staged.clear()
    finally:
        for tmp in staged.values():
            if os.path.exists(tmp):
                os.remove(tmp)
    manifest["modules"] = {k: manifest["modules"][k] for k in MODULES if k in manifest["modules"]}
    write_json(manifest_path, manifest)
    print(f"wrote {manifest_path} ({manifest['weights']}, {len(manifest['modules'])} modules)")
    return 0


def export_modules(args, names, device, verify_tol, manifest, staged) -> int:
    hashes = {}
    for name in names:
        spec = MODULES[name]
        t0 = time.time()
        model = build_loaded(spec, None if args.random_init else args.checkpoints, args.seed)
        bake_spectral_norm(model)
        if args.gpu_optimize:
            instance_norm_channels_last(model)
            share_spade_condition(model)
        model = model.to(device)
        scripted = torch.jit.script(model)
        path = os.path.join(args.out, name + ".pt.tmp")
        staged[name] = path
        scripted.save(path)
        if args.verify:
            # The saved file, reloaded, must reproduce eager at batch 1 and batch 4.
            loaded = torch.jit.load(path, map_location=device)
            with torch.no_grad():
                for batch in (1, 4) if args.verify_batch4 else (1,):
                    inputs = example_inputs(spec, batch, device)
                    ref = as_tuple(model(*inputs))
                    got = as_tuple(loaded(*inputs))
                    check_outputs(spec, got, batch)
                    for port, a, b in zip(spec.outputs, ref, got):
                        d = (a - b).abs().max().item()
                        if d > verify_tol * (1 + a.abs().max().item()):
                            raise RuntimeError(f"{name}: TorchScript output {port.name} differs "
                                               f"from eager by {d:g}")
        source = None
        if not args.random_init:
            ckpt = os.path.join(args.checkpoints, spec.checkpoint)
            if ckpt not in hashes:
                hashes[ckpt] = sha256_of(ckpt)
            source = {"file": spec.checkpoint, "sha256": hashes[ckpt]}
            if spec.subkey:
                source["key"] = spec.subkey
        manifest["modules"][name] = {
            "file": name + ".pt",
            "bytes": os.path.getsize(path),
            "inputs": [{"name": p.name, "shape": p.shape, "dtype": "float32"} for p in spec.inputs],
            "outputs": [{"name": p.name, "shape": p.shape, "dtype": "float32"} for p in spec.outputs],
            "source_checkpoint": source,
        }
        print(f"exported {name:30s} {os.path.getsize(path) / 1e6:8.1f} MB  {time.time() - t0:5.1f} s",
              flush=True)
        del model, scripted
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoints", help="official pretrained_weights/liveportrait folder")
    src.add_argument("--random-init", action="store_true", help="deterministic random weights")
    ap.add_argument("--seed", type=int, default=0, help="seed for --random-init (default 0)")
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--only", help="comma-separated subset of modules; an existing manifest.json "
                                   "in OUT keeps its entries for the other modules")
    ap.add_argument("--no-verify", dest="verify", action="store_false",
                    help="skip reloading each file and comparing it with eager")
    ap.add_argument("--verify-batch4", action="store_true",
                    help="also verify batch 4 (slow on CPU for W and G)")
    ap.add_argument("--gpu-optimize", action="store_true",
                    help="export-time rewrites for CUDA speed that keep each network's function "
                         "(export_optimizations.py): G's instance norms keep the channels-last "
                         "format (for the engine's ModelSetOptions::channels_last), G's SPADE "
                         "blocks resize their condition once")
    args = ap.parse_args(argv)
    if args.only:
        unknown = [n for n in args.only.split(",") if n not in MODULES]
        if unknown:
            ap.error(f"unknown module(s) {unknown}; known: {', '.join(MODULES)}")
    if args.device == "cuda" and not torch.cuda.is_available():
        print("error: --device cuda but torch.cuda.is_available() is false", file=sys.stderr)
        return 2
    try:
        return export(args)
    except CheckpointError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (RuntimeError, OSError) as e:
        print(f"error: export failed: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
