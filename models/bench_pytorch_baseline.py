#!/usr/bin/env python3
"""PyTorch eager fp16 baseline for `livepuppet-cli bench` (GPU performance issue).

  bench_pytorch_baseline.py --models DIR [--frames N] [--json OUT] [--explore]

Times, in Python, the per-driving-frame work of LivePortrait with OUR exported
TorchScript modules (motion extractor, keypoint maths, stitching MLP, warping
module, SPADE generator), batch 1, fp16 (MLPs and keypoint maths in float32,
as in the official code), synchronising after every frame: the local baseline
the C++ engine's speed-up is quoted against. Prints one JSON object.

--explore also times each big module alone under the layout / precision /
launch variants the engine may use (channels-last 2-D, channels-last 3-D,
TorchScript freeze, bf16, CUDA-graph replay), with the G image PSNR of each
variant against fp32, so that every change can be judged in isolation.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import torch

NAMES = ["appearance_feature_extractor", "motion_extractor", "warping_module", "spade_generator",
         "stitching", "retarget_eye", "retarget_lip"]


def load(models_dir, dev, dtype):
    mods = {}
    for n in NAMES:
        m = torch.jit.load(os.path.join(models_dir, n + ".pt"), map_location=dev).eval()
        mods[n] = m.to(dtype if n in NAMES[:4] else torch.float32)
    return mods


def degrees(bins):
    idx = torch.arange(66, device=bins.device, dtype=torch.float32)
    return (torch.softmax(bins.float(), 1) * idx).sum(1, keepdim=True) * 3 - 97.5


def rotation(p, y, r):
    p, y, r = [(a / 180 * math.pi).reshape(-1) for a in (p, y, r)]
    bs = p.shape[0]
    o, z = torch.ones_like(p), torch.zeros_like(p)
    rx = torch.stack([o, z, z, z, p.cos(), -p.sin(), z, p.sin(), p.cos()], 1).view(bs, 3, 3)
    ry = torch.stack([y.cos(), z, y.sin(), z, o, z, -y.sin(), z, y.cos()], 1).view(bs, 3, 3)
    rz = torch.stack([r.cos(), -r.sin(), z, r.sin(), r.cos(), z, z, z, o], 1).view(bs, 3, 3)
    return (rz @ ry @ rx).permute(0, 2, 1)


def motion(M, img):
    pitch, yaw, roll, t, exp, scale, kp = [o.float() for o in M(img)]
    bs = img.shape[0]
    p, y, r = degrees(pitch), degrees(yaw), degrees(roll)
    return dict(R=rotation(p, y, r), t=t.view(bs, 3), exp=exp.view(bs, 21, 3),
                scale=scale.view(bs, 1), kp=kp.view(bs, 21, 3))


def transform(kp, R, exp, scale, t):
    x = (kp @ R + exp) * scale.view(-1, 1, 1)
    txy = torch.cat([t[:, :2], torch.zeros_like(t[:, :1])], 1)
    return x + txy.unsqueeze(1)


def driving_keypoints(mods, s, d, d0, x_s):
    R = d["R"] @ d0["R"].permute(0, 2, 1) @ s["R"]
    exp = s["exp"] + d["exp"] - d0["exp"]
    scale = s["scale"] * d["scale"] / d0["scale"]
    t = s["t"] + d["t"] - d0["t"]
    x_d = transform(s["kp"], R, exp, scale, t)
    delta = mods["stitching"](torch.cat([x_s.flatten(1), x_d.flatten(1)], 1)).float()
    txy = torch.cat([delta[:, 63:65], torch.zeros_like(delta[:, :1])], 1)
    return x_d + delta[:, :63].view(-1, 21, 3) + txy.unsqueeze(1)


def percentile(v, q):
    v = sorted(v)
    pos = q * (len(v) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def stats(v):
    return {"p50": round(percentile(v, 0.5), 3), "p90": round(percentile(v, 0.9), 3),
            "mean": round(statistics.fmean(v), 3)}


def baseline(models_dir, frames, dev):
    torch.backends.cudnn.benchmark = True
    mods = load(models_dir, dev, torch.half)
    g = torch.Generator(device="cpu").manual_seed(0)
    src = torch.rand(1, 3, 256, 256, generator=g).to(dev, torch.half)
    drv = [torch.rand(1, 3, 256, 256, generator=g).to(dev, torch.half) for _ in range(4)]
    with torch.inference_mode():
        feat = mods["appearance_feature_extractor"](src)
        s = motion(mods["motion_extractor"], src)
        x_s = transform(s["kp"], s["R"], s["exp"], s["scale"], s["t"])
        d0 = motion(mods["motion_extractor"], drv[0])
        stage = {k: [] for k in ("motion_extractor", "keypoints_and_mlps", "warping_module",
                                 "spade_generator", "total")}

        def frame(i, record):
            ev = [torch.cuda.Event(enable_timing=True) for _ in range(5)]
            ev[0].record()
            d = motion(mods["motion_extractor"], drv[i % 4])
            ev[1].record()
            x_d = driving_keypoints(mods, s, d, d0, x_s)
            ev[2].record()
            w = mods["warping_module"](feat, x_s.half(), x_d.half())
            ev[3].record()
            img = mods["spade_generator"](w[2]).float()
            ev[4].record()
            torch.cuda.synchronize()
            if record:
                for k, a, b in zip(list(stage)[:4], ev[:4], ev[1:]):
                    stage[k].append(a.elapsed_time(b))
                stage["total"].append(ev[0].elapsed_time(ev[4]))
            return img

        for i in range(20):
            frame(i, False)
        torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        for i in range(frames):
            frame(i, True)
        wall = time.perf_counter() - t0
    return {"what": "PyTorch eager fp16 (our exported TorchScript modules, batch 1)",
            "torch": torch.__version__, "frames": frames,
            "ms_per_call": {k: stats(v) for k, v in stage.items()},
            "ms_per_frame_p50": round(percentile(stage["total"], 0.5), 3),
            "fps": round(frames / wall, 1),
            "peak_device_memory_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1)}


def time_fn(fn, iters=40, warm=5):
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    ts = []
    for _ in range(iters):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        torch.cuda.synchronize()
        ts.append(a.elapsed_time(b))
    return percentile(ts, 0.5)


def graphed(fn):
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        out = fn()
    return (lambda: g.replay()), out


def psnr(a, b):
    mse = (a.float() - b.float()).pow(2).mean().item()
    return 99.0 if mse == 0 else 10 * math.log10(1.0 / mse)


def to_cl(module, dims):
    for p in module.parameters():
        if p.dim() == 4 and 4 in dims:
            p.data = p.data.contiguous(memory_format=torch.channels_last)
        if p.dim() == 5 and 5 in dims:
            p.data = p.data.contiguous(memory_format=torch.channels_last_3d)
    return module


def explore(models_dir, dev):
    torch.backends.cudnn.benchmark = True
    rows = []
    g = torch.Generator(device="cpu").manual_seed(1)
    img = torch.rand(1, 3, 256, 256, generator=g).to(dev)
    ref32 = load(models_dir, dev, torch.float32)
    with torch.inference_mode():
        feat32 = ref32["appearance_feature_extractor"](img)
        kp_s = (torch.rand(1, 21, 3, generator=g) * 1.2 - 0.6).to(dev)
        kp_d = kp_s + (torch.rand(1, 21, 3, generator=g) * 0.1 - 0.05).to(dev)
        w32 = ref32["warping_module"](feat32, kp_s, kp_d)
        g32 = ref32["spade_generator"](w32[2])
        rows.append(("G fp32 eager", time_fn(lambda: ref32["spade_generator"](w32[2])), 99.0))
        del ref32
        for dtype_name, dtype in (("fp16", torch.half), ("bf16", torch.bfloat16)):
            for layout in ("nchw", "cl2d", "cl2d3d"):
                for freeze in (False, True):
                    if dtype_name == "bf16" and (freeze or layout == "cl2d3d"):
                        continue
                    mods = load(models_dir, dev, dtype)
                    dims = {"nchw": (), "cl2d": (4,), "cl2d3d": (4, 5)}[layout]
                    for n in NAMES[1:4]:
                        to_cl(mods[n], dims)
                        if freeze:
                            mods[n] = torch.jit.optimize_for_inference(torch.jit.freeze(mods[n]))
                    fmt4 = torch.channels_last if 4 in dims else torch.contiguous_format
                    fmt5 = torch.channels_last_3d if 5 in dims else torch.contiguous_format
                    x_img = img.to(dtype).contiguous(memory_format=fmt4)
                    feat = feat32.to(dtype).contiguous(memory_format=fmt5)
                    wf = w32[2].to(dtype).contiguous(memory_format=fmt4)
                    M, W, G = mods["motion_extractor"], mods["warping_module"], mods["spade_generator"]
                    tag = f"{dtype_name} {layout}{' frozen' if freeze else ''}"
                    cases = {"M": lambda: M(x_img),
                             "W": lambda: W(feat, kp_s.to(dtype), kp_d.to(dtype)),
                             "G": lambda: G(wf),
                             "W+G": lambda: G(W(feat, kp_s.to(dtype), kp_d.to(dtype))[2])}
                    for k, fn in cases.items():
                        try:
                            e = time_fn(fn)
                            rep, out = graphed(fn)
                            gr = time_fn(rep)
                            q = psnr(out.float().clamp(0, 1), g32) if k in ("G", "W+G") else None
                            rows.append((f"{k} {tag} eager", e, q))
                            rows.append((f"{k} {tag} graph", gr, q))
                        except Exception as ex:  # noqa: BLE001
                            rows.append((f"{k} {tag}: failed {str(ex).splitlines()[0][:80]}", -1, None))
                    del mods
                    torch.cuda.empty_cache()
    return [{"case": r[0], "ms_p50": round(r[1], 3), "psnr_vs_fp32": None if r[2] is None else round(r[2], 2)}
            for r in rows]


def profile(models_dir, dev, out_path, channels_last=False):
    """Kernel-level CUDA time of M, W and W+G (fp16, eager, batch 1), top kernels first;
    channels_last: W's and G's 4-D weights and G's input channels-last, as the engine does."""
    from torch.profiler import ProfilerActivity, profile as tprofile
    torch.backends.cudnn.benchmark = True
    mods = load(models_dir, dev, torch.half)
    g = torch.Generator(device="cpu").manual_seed(2)
    feat = torch.rand(1, 32, 16, 64, 64, generator=g).to(dev, torch.half)
    kp_s = (torch.rand(1, 21, 3, generator=g) * 1.2 - 0.6).to(dev, torch.half)
    kp_d = kp_s + 0.02
    lines = []
    with torch.inference_mode():
        W, G, M = mods["warping_module"], mods["spade_generator"], mods["motion_extractor"]
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        if channels_last:
            to_cl(W, (4,))
            to_cl(G, (4,))
        img = torch.rand(1, 3, 256, 256, generator=g).to(dev, torch.half)
        for name, fn in (("M", lambda: M(img)), ("W", lambda: W(feat, kp_s, kp_d)),
                         ("W+G", lambda: G(W(feat, kp_s, kp_d)[2].contiguous(memory_format=fmt)))):
            for _ in range(5):
                fn()
            torch.cuda.synchronize()
            with tprofile(activities=[ProfilerActivity.CUDA]) as prof:
                for _ in range(10):
                    fn()
                torch.cuda.synchronize()
            lines.append(f"==== {name} (10 calls) ====")
            lines.append(prof.key_averages().table(sort_by="cuda_time_total", row_limit=25,
                                                   max_name_column_width=90))
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n")


def explore_cl(models_dir, dev):
    """G and W+G with the channels-last-friendly instance norm (models/export_optimizations.py),
    rebuilt from the seed-1 random weights, against the exported modules."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from export_optimizations import instance_norm_channels_last
    from liveportrait.checkpoints import build_loaded
    from liveportrait.registry import MODULES
    from liveportrait.spade_generator import bake_spectral_norm
    torch.backends.cudnn.benchmark = True
    rows = []
    g = torch.Generator(device="cpu").manual_seed(3)
    mods = load(models_dir, dev, torch.float32)
    with torch.inference_mode():
        feat32 = torch.rand(1, 32, 16, 64, 64, generator=g).to(dev)
        kp_s = (torch.rand(1, 21, 3, generator=g) * 1.2 - 0.6).to(dev)
        kp_d = kp_s + (torch.rand(1, 21, 3, generator=g) * 0.1 - 0.05).to(dev)
        wf32 = mods["warping_module"](feat32, kp_s, kp_d)[2]
        ref = mods["spade_generator"](wf32)
        W16 = mods["warping_module"].half()
    for variant in ("exported nchw", "cl-norm nchw", "cl-norm cl", "cl-norm cl frozen", "exported cl frozen"):
        if variant.startswith("exported"):
            G = torch.jit.load(os.path.join(models_dir, "spade_generator.pt"), map_location=dev).eval()
        else:
            m = bake_spectral_norm(build_loaded(MODULES["spade_generator"], None, 1))
            G = torch.jit.script(instance_norm_channels_last(m).to(dev).eval())
        G = G.half()
        cl = " cl" in variant
        fmt = torch.channels_last if cl else torch.contiguous_format
        if cl:
            to_cl(G, (4,))
        if "frozen" in variant:
            G = torch.jit.optimize_for_inference(torch.jit.freeze(G))
        with torch.inference_mode():
            x = wf32.half().contiguous(memory_format=fmt)
            fn = lambda: G(x)  # noqa: E731
            e = time_fn(fn)
            rep, out = graphed(fn)
            gr = time_fn(rep)
            q = psnr(out.float().clamp(0, 1), ref)
            fn2 = lambda: G(W16(feat32.half(), kp_s.half(), kp_d.half())[2].contiguous(memory_format=fmt))  # noqa: E731
            rep2, _ = graphed(fn2)
            gr2 = time_fn(rep2)
        rows.append({"case": "G " + variant, "eager_ms": round(e, 3), "graph_ms": round(gr, 3),
                     "W+G_graph_ms": round(gr2, 3), "psnr_vs_fp32": round(q, 2)})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", required=True)
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--json", help="also write the JSON here")
    ap.add_argument("--explore", action="store_true")
    ap.add_argument("--explore-cl", action="store_true",
                    help="time G with the channels-last-friendly instance norm")
    ap.add_argument("--profile", help="write a kernel-level profile of M, W and W+G to this file")
    ap.add_argument("--profile-channels-last", action="store_true")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("error: needs CUDA", file=sys.stderr)
        return 2
    dev = torch.device("cuda")
    result = {"device": torch.cuda.get_device_name(0), "baseline": baseline(args.models, args.frames, dev)}
    if args.explore:
        result["explore"] = explore(args.models, dev)
    if args.explore_cl:
        result["explore_cl"] = explore_cl(args.models, dev)
    if args.profile:
        profile(args.models, dev, args.profile, args.profile_channels_last)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
