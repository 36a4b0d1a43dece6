#!/usr/bin/env python3
"""The rewrites behind the compiled (AOTInductor) packages keep the networks'
function (float32, CPU): a SPADE residual block with its condition shared and
gamma/beta merged into one convolution gives the block's output, and 3-D
convolutions computed as one
depth-stacked 2-D convolution give Conv3d's output. And export_compiled.py,
where it cannot compile (no CUDA GPU, or PyTorch < 2.6), says so and exits 2, and
keeps every batch size's manifest entry when several compile at once."""
import os
import subprocess
import sys
import tempfile

import torch

from _common import Failures

from export_optimizations import (ChannelsLastInstanceNorm, DepthStackedConv3d, LowResConditionSPADE,
                                  ShiftFoldedShortcutSPADE, TapStackedConv2d, UpsampledConditionConv,
                                  depth_stack_conv3d, fold_shortcut_shift, fuse_spade_gamma_beta, merge_middle_conditions,
                                  instance_norm_channels_last, low_res_spade_condition, pad_conv2d_outputs,
                                  share_spade_condition, tap_stack_narrow_conv2d, triton_depthwise_conv2d,
                                  upsampled_input_statistics, fold_batch_norms, triton_convnext_mlp)
from liveportrait.appearance_feature_extractor import AppearanceFeatureExtractor
from liveportrait.motion_extractor import MotionExtractor
from liveportrait.warping_network import WarpingNetwork
from liveportrait.spade_generator import SPADEGenerator, SPADEResBlock, bake_spectral_norm

f = Failures()


def before_and_after(holder, rewrite, x):
    """holder(x) before and after rewrite(holder), and the module types after."""
    with torch.no_grad():
        want = holder(x)
        rewrite(holder)
        got = holder(x)
    return want, got, [type(m).__name__ for m in holder]


torch.manual_seed(3)
# Blocks at the condition's size, 2x and 4x it (G's middle, up_0, up_1); the last
# is not an integer multiple and takes the plain path.
for fin, fout, size in ((16, 16, 8), (16, 8, 16), (8, 8, 32), (8, 8, 12)):
    block = SPADEResBlock(fin, fout, 4).eval()
    for p in block.parameters():
        if p.dim() == 1:  # non-zero biases, so that folding "1 +" into gamma's bias shows
            torch.nn.init.uniform_(p, -0.3, 0.3)
    bake_spectral_norm(block)
    holder = torch.nn.Sequential(block)
    x, cond = torch.randn(2, fin, size, size), torch.randn(2, 4, 8, 8)
    with torch.no_grad():
        ref = holder[0](x, cond)
        instance_norm_channels_last(holder)
        share_spade_condition(holder)
        shared = holder[0](x, cond)
        fuse_spade_gamma_beta(holder)
        fused = holder[0](x, cond)
        low_res_spade_condition(holder)
        low_res = holder[0](x, cond)
    names = [n for n, _ in holder.named_modules()]
    f.check(any(n.endswith("mlp_gamma_beta") for n in names), f"block {fin}->{fout}: gamma/beta merged into one conv")
    norms = [m for m in holder.modules() if isinstance(m, LowResConditionSPADE)]
    f.check(len(norms) == (3 if fin != fout else 2) and not holder[0].resize_condition,
            f"block {fin}->{fout}: its norms take the condition at its own resolution")
    d1, d2, d3 = ((o - ref).abs().max().item() for o in (shared, fused, low_res))
    f.check(d1 < 1e-4 and d2 < 1e-4 and d3 < 1e-4,
            f"block {fin}->{fout} at {size}x{size}: same output (shared {d1:.2e}, fused {d2:.2e}, "
            f"low-res condition {d3:.2e})")

# A whole (narrow) generator through every G rewrite of the compiled packages,
# including the two that need G's structure: the learned shortcuts' 1x1
# convolution composed into beta's, and the statistics of the upsampled block
# inputs taken from every 2nd row and column.
torch.manual_seed(4)
gen = SPADEGenerator(in_ch=16, out_ch=8).eval()
for p in gen.parameters():
    if p.dim() == 1:
        torch.nn.init.uniform_(p, -0.3, 0.3)
bake_spectral_norm(gen)
feature = torch.randn(1, 16, 16, 16)
with torch.no_grad():
    want = gen(feature)
    for rewrite in (instance_norm_channels_last, share_spade_condition, fuse_spade_gamma_beta,
                    low_res_spade_condition, fold_shortcut_shift, upsampled_input_statistics):
        rewrite(gen)
    got = gen(feature)
    merged = merge_middle_conditions(gen)
    got_merged = merged(feature)
f.check(merged.middle_condition.out_channels == 12 * 128,
        f"the twelve middle condition convs are one conv ({merged.middle_condition.out_channels} channels)")
d = (got_merged - want).abs().max().item()
f.check(d < 1e-4, f"generator with the middle condition convs merged: same image ({d:.2e})")
folded = [isinstance(b.norm_s, ShiftFoldedShortcutSPADE) for b in (gen.up_0, gen.up_1)]
f.check(folded == [True, True] and isinstance(gen.up_1.conv_s, torch.nn.Identity),
        f"both upsampling blocks' shortcuts folded ({folded})")
strides = [b.norm_0.param_free_norm.stats_stride for b in (gen.up_0, gen.up_1, gen.G_middle_0)]
strides += [gen.up_1.norm_1.param_free_norm.stats_stride]
f.check(strides == [2, 2, 1, 1], f"strided statistics only for the upsampled block inputs ({strides})")
widths = [gen.up_1.norm_s.mlp_scale_shift.out_channels, gen.up_1.norm_0.mlp_gamma_beta.out_channels]
f.check(widths == [16 + 8, 32], f"up_1's shortcut modulation is gamma (16) + folded shift (8) wide ({widths})")
d = (got - want).abs().max().item()
f.check(d < 1e-4, f"generator with all compiled-package rewrites: same image ({d:.2e})")
# The strided statistics are exact only for upsampled maps: on any other input
# they differ, which is why only G's upsampling blocks get them.
norm = ChannelsLastInstanceNorm()
norm.stats_stride = 2
x = torch.randn(1, 3, 8, 8)
up = torch.nn.functional.interpolate(x, scale_factor=2.0, mode="nearest")
d_up = (norm(up) - ChannelsLastInstanceNorm()(up)).abs().max().item()
not_up = up + torch.randn_like(up)  # one input for both norms
d_any = (norm(not_up) - ChannelsLastInstanceNorm()(not_up)).abs().max().item()
f.check(d_up < 1e-5 and d_any > 1e-2, f"strided statistics: exact on an upsampled map ({d_up:.2e}), not elsewhere")

# M's depthwise convolutions are the ones given to the Triton kernel (its
# GPU result is checked by export_compiled.py against the TorchScript module);
# off the GPU the module computes with F.conv2d.
holder = torch.nn.Sequential(torch.nn.Conv2d(8, 8, 7, padding=3, groups=8), torch.nn.Conv2d(8, 8, 3, padding=1),
                             torch.nn.Conv2d(8, 8, 3, padding=1, groups=4), torch.nn.Conv2d(8, 8, 7, padding=3, groups=8, bias=False))
want, got, kinds = before_and_after(holder, triton_depthwise_conv2d, torch.randn(1, 8, 9, 9))
f.check(kinds == ["TritonDepthwiseConv2d", "Conv2d", "Conv2d", "Conv2d"],
        f"only depthwise 'same' convs with bias go to the Triton kernel ({kinds})")
d = (got - want).abs().max().item()
f.check(d < 1e-6, f"depthwise conv module off the GPU: same output ({d:.2e})")

# The 3x3 convolution of a nearest-upsampled condition, computed at the
# condition's resolution, for the scales G uses and a non-square one, at the
# image border too (zero padding).
for scale_y, scale_x in ((2, 2), (4, 4), (2, 3)):
    conv = torch.nn.Conv2d(5, 7, 3, padding=1)
    cond = torch.randn(1, 5, 6, 4)
    h, w = 6 * scale_y, 4 * scale_x
    with torch.no_grad():
        want = conv(torch.nn.functional.interpolate(cond, size=[h, w], mode="nearest"))
        got = UpsampledConditionConv(conv)(cond, h, w)
    d = (got - want).abs().max().item()
    f.check(d < 1e-4, f"upsampled-condition conv x{scale_y}/x{scale_x}: same output as conv(upsample) ({d:.2e})")

# Narrow, deep 2-D convolutions (W's occlusion: many channels -> 1, 7x7) as a
# tap-stacked 1x1 convolution and a shifted sum; wide or shallow ones are kept.
holder = torch.nn.Sequential(torch.nn.Conv2d(300, 1, 7, padding=3), torch.nn.Conv2d(300, 2, 3, padding=1),
                             torch.nn.Conv2d(300, 16, 3, padding=1), torch.nn.Conv2d(8, 1, 3, padding=1),
                             torch.nn.Conv2d(300, 1, 1))
x = torch.randn(2, 300, 10, 7)
inputs = [x, x, x, x[:, :8], x]
with torch.no_grad():
    want = [m(i) for m, i in zip(holder, inputs)]
    tap_stack_narrow_conv2d(holder)
    got = [m(i) for m, i in zip(holder, inputs)]
stacked = [isinstance(m, TapStackedConv2d) for m in holder]
f.check(stacked == [True, True, False, False, False],
        f"narrow deep convs tap-stacked, wide / shallow / 1x1 ones kept ({stacked})")
d = max((g - w).abs().max().item() for g, w in zip(got, want))
f.check(d < 1e-4, f"tap-stacked convs: same output ({d:.2e})")

# Depth-stacked 3-D convolutions: W's shapes in small (kernels 3 and 7, input
# channels padded from 142 to 144), a 1x1x1 conv left alone, and a refusal of
# what the rewrite cannot do (strides).
for cin, cout, k in ((142, 22, 7), (14, 14, 3), (5, 9, 3)):
    conv = torch.nn.Conv3d(cin, cout, k, padding=k // 2)
    holder = torch.nn.Sequential(conv, torch.nn.Conv3d(cout, 4, 1))
    want, got, _ = before_and_after(holder, depth_stack_conv3d, torch.randn(2, cin, 9, 6, 5))
    d = (got - want).abs().max().item()
    f.check(isinstance(holder[0], DepthStackedConv3d) and isinstance(holder[1], torch.nn.Conv3d),
            f"{cin}->{cout} k{k}: the k{k} conv is depth-stacked, the 1x1x1 conv is kept")
    f.check(holder[0].width_taps == (k if k >= 5 and k * 8 * -(-cout // 8) < 256 else 1),
            f"{cin}->{cout} k{k}: width taps stacked too only where the depth-stacked GEMM is narrow "
            f"({holder[0].width_taps})")
    f.check(d < 1e-4, f"{cin}->{cout} k{k}: same output as Conv3d ({d:.2e})")
try:
    DepthStackedConv3d(torch.nn.Conv3d(4, 4, 3, stride=2, padding=1))
    f.check(False, "a strided Conv3d is refused")
except ValueError:
    f.check(True, "a strided Conv3d is refused")

# Output channels padded to a multiple of 8 (W's 1-channel occlusion conv, G's
# 12-channel last conv): same output, 8-aligned convs and depthwise convs kept.
holder = torch.nn.Sequential(torch.nn.Conv2d(6, 1, 7, padding=3), torch.nn.Conv2d(1, 12, 3, padding=1),
                             torch.nn.Conv2d(12, 16, 3, padding=1), torch.nn.Conv2d(16, 16, 3, padding=1, groups=16))
want, got, kinds = before_and_after(holder, pad_conv2d_outputs, torch.randn(2, 6, 9, 11))
f.check(kinds == ["PaddedOutputConv2d", "PaddedOutputConv2d", "Conv2d", "Conv2d"],
        f"convs with 1 and 12 outputs are padded, aligned and depthwise ones kept ({kinds})")
d = (got - want).abs().max().item()
f.check(d < 1e-5 and got.shape == want.shape, f"padded output channels: same output ({d:.2e})")

# Batch norms folded into the convolutions before them, then W's and F's 3-D
# convolutions depth-stacked: the same outputs, and no batch norm left after a
# convolution (F's pre-activation blocks keep theirs: a norm before a conv).
torch.manual_seed(5)
kp_s = torch.rand(1, 21, 3) * 1.6 - 0.8
for net, inputs in ((WarpingNetwork(), (torch.randn(1, 32, 16, 64, 64), kp_s, kp_s + 0.1 * torch.randn(1, 21, 3))),
                    (AppearanceFeatureExtractor(), (torch.rand(1, 3, 256, 256),))):
    net.eval()
    for m in net.modules():
        if isinstance(m, (torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)):
            for t, lo, hi in ((m.running_mean, -0.3, 0.3), (m.running_var, 0.5, 1.5), (m.weight, 0.5, 1.5),
                              (m.bias, -0.3, 0.3)):
                torch.nn.init.uniform_(t, lo, hi)
    name = type(net).__name__
    before = sum(isinstance(m, (torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)) for m in net.modules())
    with torch.no_grad():
        want = net(*inputs)
        fold_batch_norms(net)
        depth_stack_conv3d(net)
        got = net(*inputs)
    after = sum(isinstance(m, (torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)) for m in net.modules())
    f.check(after < before, f"{name}: batch norms after convolutions folded ({before} -> {after} left)")
    want, got = (want,) if torch.is_tensor(want) else want, (got,) if torch.is_tensor(got) else got
    for i, (a, b) in enumerate(zip(want, got)):
        d = ((a - b).abs().max() / a.abs().max()).item()
        f.check(d < 1e-4, f"{name} output {i}: same with the norms folded ({d:.2e} of the largest value)")

# M's ConvNeXt-V2 blocks (those of the first three stages) rewritten for the Triton
# kernels (transposed Linear weights; on the CPU the block's own norm and GRN):
# the same seven outputs. The kernels themselves run on CUDA only; the package
# check of export_compiled.py compares them with fp32 there. GRN's gamma and beta
# are zero at initialisation, which would hide a GRN left out: set non-zero here.
torch.manual_seed(6)
net = MotionExtractor().eval()
for name, p in net.named_parameters():
    if ".grn." in name:
        torch.nn.init.uniform_(p, -0.5, 0.5)
image = torch.rand(2, 3, 256, 256)
with torch.no_grad():
    want = net(image)
    triton_convnext_mlp(net)
    got = net(image)
kinds = [type(m).__name__ for m in net.modules()]
rewritten, kept = kinds.count("TritonConvNeXtBlock"), kinds.count("ConvNeXtV2Block")
f.check((rewritten, kept) == (15, 3), f"M: the blocks of the first three stages rewritten, the last stage's kept "
        f"({rewritten} rewritten, {kept} kept)")
for i, (a, b) in enumerate(zip(want, got)):
    d = ((a - b).abs().max() / a.abs().max()).item()
    f.check(d < 1e-5, f"M output {i}: same with the blocks' MLP rewritten ({d:.2e} of the largest value)")

here = os.path.dirname(os.path.abspath(__file__))
script = os.path.join(here, "..", "..", "models", "export_compiled.py")
with tempfile.TemporaryDirectory() as d:
    done = subprocess.run([sys.executable, script, "--models", d], capture_output=True, text=True)
    if torch.cuda.is_available() and hasattr(torch._inductor, "aoti_compile_and_package"):
        f.check(done.returncode == 2 and "manifest.json" in done.stderr,
                f"an empty folder is refused, naming manifest.json (rc {done.returncode}: {done.stderr.strip()})")
    else:
        f.check(done.returncode == 2 and ("CUDA GPU" in done.stderr or "AOTInductor" in done.stderr),
                f"no CUDA GPU / old PyTorch: a clear refusal (rc {done.returncode}: {done.stderr.strip()})")

# Two batch sizes compiled at once (gpu_bench.sh runs them side by side): each
# process read the manifest when it started, and the one that writes last must not
# drop the other's entry. And a batch size compiled against batch-1 packages that
# another export replaced meanwhile is refused, leaving the manifest as it is.
import json  # noqa: E402
import export_compiled  # noqa: E402
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "manifest.json")
    base = {"format_version": 1, "torch_version": "2.11.0", "compute_capability": "9.0",
            "models_created_utc": "2026-11-22T00:00:00Z", "precision": "fp16", "batch": 1,
            "modules": {"spade_generator": {"file": "spade_generator.pt2"}}}
    export_compiled.write_json(path, base)

    def started(batch):
        """What a `--batch B` process holds after reading the manifest at its start."""
        m = json.loads(json.dumps(base))
        m["batches"] = {}
        target = m["batches"].setdefault(str(batch), {"modules": {}})
        target["modules"]["spade_generator"] = {"file": f"spade_generator.b{batch}.pt2"}
        return m, target

    b16, b4 = started(16), started(4)
    ok16 = export_compiled.write_manifest(path, b16[0], 16, b16[1])
    ok4 = export_compiled.write_manifest(path, b4[0], 4, b4[1])
    got = export_compiled.read_manifest(path)
    f.check(ok16 and ok4 and list(got.get("batches", {})) == ["4", "16"]
            and got["batches"]["16"]["modules"]["spade_generator"]["file"] == "spade_generator.b16.pt2"
            and got["modules"] == base["modules"],
            f"two batch sizes compiled at once are both listed, in order, batch 1 kept ({got.get('batches')})")

    replaced = dict(base, models_created_utc="2026-11-23T00:00:00Z")
    export_compiled.write_json(path, replaced)
    late = started(4)
    ok = export_compiled.write_manifest(path, late[0], 4, late[1])
    f.check(not ok and export_compiled.read_manifest(path) == replaced,
            "a batch size whose batch-1 packages were replaced meanwhile is refused, the manifest left as it is")
f.exit()
