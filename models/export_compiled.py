#!/usr/bin/env python3
"""Compile F, M, W and G of an exported model folder into AOTInductor packages
for this machine's GPU (GPU performance issue).

  export_compiled.py --models DIR [--only NAMES] [--max-autotune] [--batch B]

Reads DIR's TorchScript files (written by export_torchscript.py), rebuilds each
network from models/liveportrait with exactly those weights, applies the
function-preserving rewrites of export_optimizations.py, plus two that change
state_dict keys and so are used only here: G's merged gamma/beta convolution,
and every 3-D convolution of F and W as one depth-stacked 2-D convolution
(DepthStackedConv3d), and compiles it ahead of time with TorchInductor
(torch._inductor.aoti_compile_and_package), in fp16 at batch 1: generated Triton
kernels fuse the normalisations, activations and SPADE modulations that
TorchScript runs one kernel at a time, and Inductor picks the memory layouts.

Writes DIR/compiled/<name>.pt2 and DIR/compiled/manifest.json (format
"livepuppet-aoti", see models/EXPORT_FORMAT.md). With --batch B (after a plain
run), M, W and G are compiled again at batch B into <name>.b<B>.pt2 and listed
under the manifest's "batches", for the throughput mode. A package holds machine code
for this GPU architecture and this PyTorch version: the C++ runtime uses it only
where both match and the TorchScript folder is the one it was compiled from;
otherwise it runs the TorchScript files and says why. Each package is checked
here against the TorchScript module it replaces before it is written into the
manifest.

Needs PyTorch >= 2.6 with CUDA, Triton and a C++ compiler (the GPU machine's
Python, not Debian's python3-torch 1.13).
"""
import argparse
import ctypes
import ctypes.util
import datetime
import fcntl
import json
import math
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

# Inductor links a package's wrapper library with a static libstdc++. Loaded into
# a Python interpreter, whose libstdc++ arrives later and outside the global symbol
# scope, the wrapper mixed its own and the process's C++ runtime and crashed in
# std::regex while opening the package (PyTorch 2.11, GCC 13). A C++ program such
# as livepuppet has libstdc++ in the global scope from the start; making it global
# here before torch loads gives the check the same conditions.
try:
    ctypes.CDLL(ctypes.util.find_library("stdc++") or "libstdc++.so.6", mode=ctypes.RTLD_GLOBAL)
except OSError:
    pass

import torch  # noqa: E402

from liveportrait.registry import MODULES  # noqa: E402
from liveportrait.spade_generator import bake_spectral_norm  # noqa: E402
from export_optimizations import (depth_stack_conv3d, fold_batch_norms, fold_shortcut_shift, fuse_spade_gamma_beta,  # noqa: E402
                                  instance_norm_channels_last, low_res_spade_condition, merge_middle_conditions,
                                  pad_conv2d_outputs, share_spade_condition, tap_stack_narrow_conv2d,
                                  triton_convnext_mlp, triton_depthwise_conv2d, upsampled_input_statistics)
from liveportrait.spade_generator import SPADEGenerator  # noqa: E402
from export_torchscript import as_tuple, example_inputs, write_json  # noqa: E402

FORMAT = "livepuppet-aoti"
FORMAT_VERSION = 1
COMPILED = ["appearance_feature_extractor", "motion_extractor", "warping_module", "spade_generator"]
BATCH = 1
# The networks that run once per driving frame: the ones the throughput mode
# (animate_batch with several frames) can also run at a larger batch (--batch B).
PER_FRAME = ["motion_extractor", "warping_module", "spade_generator"]


def rebuild(spec, torchscript_path, triton_kernels=True):
    """Our nn.Module for `spec` holding the weights of the TorchScript file, with
    the rewrites of export_optimizations.py applied (triton_kernels: also M's
    depthwise convolutions as depthwise_conv_triton's kernel and the rest of
    its ConvNeXt-V2 blocks as convnext_block_triton's)."""
    scripted = torch.jit.load(torchscript_path, map_location="cpu")
    model = spec.build()
    bake_spectral_norm(model)
    missing, unexpected = model.load_state_dict(scripted.state_dict(), strict=False)
    if missing or unexpected:
        raise RuntimeError(f"{torchscript_path}: weights do not fit {spec.name} "
                           f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
    instance_norm_channels_last(model)
    fold_batch_norms(model)
    share_spade_condition(model)
    fuse_spade_gamma_beta(model)
    low_res_spade_condition(model)
    fold_shortcut_shift(model)
    if isinstance(model, SPADEGenerator):
        upsampled_input_statistics(model)
        model = merge_middle_conditions(model)
    if triton_kernels:
        triton_convnext_mlp(model)
        triton_depthwise_conv2d(model)
    depth_stack_conv3d(model)
    tap_stack_narrow_conv2d(model)
    pad_conv2d_outputs(model)
    return model.eval()


# Whose outputs the engine converts to float32 before using them (M's, for the
# keypoint maths, as the official code does; G's image). The package returns
# them as float32 directly: the conversion is fused into the kernels that write
# them instead of one copy kernel per output per frame.
FLOAT_OUTPUTS = {"motion_extractor", "spade_generator"}


class FloatOutputs(torch.nn.Module):
    """`inner` with every output converted to float32 (computed in its own precision)."""

    def __init__(self, inner: torch.nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, *inputs):
        out = self.inner(*inputs)
        if isinstance(out, (tuple, list)):
            return tuple(o.float() for o in out)
        return out.float()


def psnr(a, b):
    mse = ((a.float().clamp(0, 1) - b.float().clamp(0, 1)) ** 2).mean().item()
    return 99.0 if mse == 0 else 10 * math.log10(1.0 / mse)


def package_name(name, batch):
    return f"{name}.pt2" if batch == BATCH else f"{name}.b{batch}.pt2"


def compile_one(spec, models_dir, out_dir, max_autotune, freezing, triton_kernels, batch=BATCH):
    ts_path = os.path.join(models_dir, spec.name + ".pt")
    model = rebuild(spec, ts_path, triton_kernels)
    model = model.to(torch.device("cuda"), torch.half)
    if spec.name in FLOAT_OUTPUTS:
        model = FloatOutputs(model)
    inputs = example_inputs(spec, batch, torch.device("cuda"), torch.half)
    package = os.path.join(out_dir, package_name(spec.name, batch))
    t0 = time.time()
    with torch.no_grad():
        program = torch.export.export(model, tuple(inputs))
        torch._inductor.aoti_compile_and_package(
            program, package_path=package,
            inductor_configs={"freezing": bool(freezing), "max_autotune": bool(max_autotune)})
    seconds = time.time() - t0
    # The check loads the package in a fresh process, as the C++ runtime will.
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--models", models_dir,
                           "--check", spec.name, "--batch", str(batch)], capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"{package}: the check of the compiled package failed "
                           f"(exit status {done.returncode}): {tail}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    entry = {
        "file": package_name(spec.name, batch),
        "bytes": os.path.getsize(package),
        "source_file": spec.name + ".pt",
        "source_bytes": os.path.getsize(ts_path),
        "compile_seconds": round(seconds, 1),
        "check": report,
    }
    print(f"compiled {spec.name:30s} batch {batch:2d} {entry['bytes'] / 1e6:7.1f} MB  {seconds:6.1f} s  {report}",
          flush=True)
    return entry


def check_one(spec, models_dir, batch=BATCH):
    """Runs DIR/compiled/<name>.pt2 against the TorchScript module it stands for;
    prints the comparison as one JSON line, raises when it is out of tolerance:
    compiled fp16 must be about as close to fp32 as TorchScript fp16 is."""
    dev = torch.device("cuda")
    ts_path = os.path.join(models_dir, spec.name + ".pt")
    package = os.path.join(models_dir, "compiled", package_name(spec.name, batch))
    compiled = torch._inductor.aoti_load_package(package)
    scripted = torch.jit.load(ts_path, map_location="cpu").eval()
    inputs = example_inputs(spec, batch, dev, torch.half)
    with torch.no_grad():
        got = as_tuple(compiled(*inputs))
        ref16 = as_tuple(scripted.to(dev, torch.half)(*inputs))
        ref32 = as_tuple(scripted.to(dev, torch.float)(*[x.float() for x in inputs]))
    if len(got) != len(spec.outputs):
        raise RuntimeError(f"{package}: {len(got)} outputs, expected {len(spec.outputs)}")
    report = {}
    for port, g, r16, r32 in zip(spec.outputs, got, ref16, ref32):
        if list(g.shape) != list(r32.shape):
            raise RuntimeError(f"{package}: output {port.name} has shape {list(g.shape)}, "
                               f"expected {list(r32.shape)}")
        if not torch.isfinite(g).all():
            raise RuntimeError(f"{package}: output {port.name} is not finite")
        scale = 1.0 + r32.abs().max().item()
        err32 = (g.float() - r32).abs().max().item() / scale
        err16 = (r16.float() - r32).abs().max().item() / scale
        if err32 > max(4 * err16, 2e-3):
            raise RuntimeError(f"{package}: output {port.name} is {err32:.3g} (relative) from the fp32 "
                               f"TorchScript result; TorchScript fp16 is {err16:.3g}")
        report[port.name] = {"max_rel_diff_vs_fp32": round(err32, 6),
                             "torchscript_fp16_max_rel_diff": round(err16, 6)}
    if spec.name == "spade_generator":
        report["image_psnr_vs_fp32_db"] = round(psnr(got[0], ref32[0]), 2)
    print(json.dumps(report), flush=True)


def read_manifest(path):
    """The compiled folder's manifest, or None where there is none yet."""
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def same_export(old, manifest):
    """Packages of an earlier run stay listed only while they still stand for this
    folder's TorchScript files, on this PyTorch and GPU architecture."""
    return old is not None and all(old.get(k) == manifest[k] for k in
                                   ("format_version", "torch_version", "compute_capability", "models_created_utc",
                                    "precision", "batch"))


def write_manifest(path, manifest, batch, target):
    """Writes the manifest after compiling at `batch` (`target`: that batch size's
    entry, `manifest` itself at batch 1). Several batch sizes may compile at once,
    each in its own process (gpu_bench.sh does so): for a larger batch size the
    manifest is read again under a lock and only that size's entry is replaced, so
    no process drops what another one wrote meanwhile. False, writing nothing, when
    the batch-1 packages were replaced by another export in the meantime."""
    with open(os.path.join(os.path.dirname(path), ".manifest.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if batch != BATCH:
            current = read_manifest(path)
            if not same_export(current, manifest):
                return False
            current.setdefault("batches", {})[str(batch)] = target
            manifest = current
        if not manifest.get("batches"):
            manifest.pop("batches", None)
        else:
            manifest["batches"] = {k: manifest["batches"][k] for k in sorted(manifest["batches"], key=int)}
        write_json(path, manifest)
    return True


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", required=True, help="folder written by export_torchscript.py")
    ap.add_argument("--only", help=f"comma-separated subset of {','.join(COMPILED)}")
    ap.add_argument("--max-autotune", action="store_true",
                    help="let Inductor benchmark Triton templates against cuDNN for every "
                         "convolution and matrix product (minutes longer)")
    ap.add_argument("--no-freezing", dest="freezing", action="store_false",
                    help="keep the weights as runtime constants (no constant folding at compile time)")
    ap.add_argument("--no-triton-kernels", dest="triton_kernels", action="store_false",
                    help="leave out our hand-written Triton kernels (M's depthwise convolutions and block MLPs; "
                         "Inductor and cuDNN run them instead), e.g. where packaging them fails")
    ap.add_argument("--batch", type=int, default=BATCH,
                    help="compile the per-frame networks (M, W, G) again at this batch size for the throughput "
                         "mode, beside the batch-1 packages of an earlier run (which it needs)")
    ap.add_argument("--check", metavar="NAME", help=argparse.SUPPRESS)  # internal: the fresh-process check
    args = ap.parse_args(argv)
    if args.batch < 1:
        ap.error("--batch must be at least 1")
    if args.check:
        try:
            check_one(MODULES[args.check], args.models, args.batch)
        except (RuntimeError, OSError, KeyError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        return 0
    allowed = COMPILED if args.batch == BATCH else PER_FRAME
    names = args.only.split(",") if args.only else allowed
    bad = [n for n in names if n not in allowed]
    if bad:
        ap.error(f"cannot compile {bad} at batch {args.batch}; those modules are {', '.join(allowed)}")
    if not torch.cuda.is_available():
        print("error: compiled packages are built for a CUDA GPU, and none is available", file=sys.stderr)
        return 2
    if not hasattr(torch._inductor, "aoti_compile_and_package"):
        print(f"error: PyTorch {torch.__version__} has no AOTInductor packaging (needs >= 2.6)", file=sys.stderr)
        return 2
    manifest_path = os.path.join(args.models, "manifest.json")
    try:
        with open(manifest_path) as f:
            models_manifest = json.load(f)
    except (OSError, ValueError) as e:
        print(f"error: {manifest_path}: {e}", file=sys.stderr)
        return 2
    out_dir = os.path.join(args.models, "compiled")
    os.makedirs(out_dir, exist_ok=True)
    props = torch.cuda.get_device_properties(0)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "torch_version": torch.__version__.split("+")[0],
        "cuda_version": torch.version.cuda,
        "device_name": props.name,
        "compute_capability": f"{props.major}.{props.minor}",
        "precision": "fp16",
        "batch": BATCH,
        "freezing": args.freezing,
        "triton_kernels": args.triton_kernels,
        "models_created_utc": models_manifest.get("created_utc"),
        "created_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "modules": {},
    }
    old_path = os.path.join(out_dir, "manifest.json")
    old = read_manifest(old_path)
    same = same_export(old, manifest)
    if args.batch != BATCH and not same:
        print(f"error: {old_path} has no batch-{BATCH} packages of this export for this GPU and PyTorch; "
              f"run export_compiled.py --models {args.models} first", file=sys.stderr)
        return 2
    if same:
        # A larger batch size's entry is merged into the manifest as it is when
        # written (write_manifest); here only --only needs the old entries.
        manifest["batches"] = old.get("batches", {})
        if args.batch == BATCH and args.only:
            manifest["modules"] = old.get("modules", {})
    target = manifest["batches"].setdefault(str(args.batch), {"modules": {}}) if args.batch != BATCH else manifest
    # What is compiled now replaces its old entries; without --only, the whole batch size's.
    target["modules"] = {k: v for k, v in target["modules"].items() if args.only and k not in names}
    try:
        for name in names:
            target["modules"][name] = compile_one(MODULES[name], args.models, out_dir, args.max_autotune,
                                                  args.freezing, args.triton_kernels, args.batch)
    except (RuntimeError, OSError) as e:
        print(f"error: compiling failed: {e}", file=sys.stderr)
        return 1
    target["modules"] = {k: target["modules"][k] for k in COMPILED if k in target["modules"]}
    if not write_manifest(old_path, manifest, args.batch, target):
        print(f"error: {old_path} was replaced by another export while batch {args.batch} compiled; "
              f"run export_compiled.py --models {args.models} --batch {args.batch} again", file=sys.stderr)
        return 1
    print(f"wrote {old_path} ({props.name}, sm_{props.major}{props.minor}, torch {manifest['torch_version']}, "
          f"batch {args.batch})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
