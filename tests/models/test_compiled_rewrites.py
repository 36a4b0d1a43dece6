#!/usr/bin/env python3
"""The rewrites behind the compiled (AOTInductor) packages keep G's function:
a SPADE residual block with its condition shared and gamma/beta merged into one
convolution gives the block's output (float32, CPU). And export_compiled.py,
where it cannot compile (no CUDA GPU, or PyTorch < 2.6), says so and exits 2."""
import os
import subprocess
import sys
import tempfile

import torch

from _common import Failures

from export_optimizations import fuse_spade_gamma_beta, instance_norm_channels_last, share_spade_condition
from liveportrait.spade_generator import SPADEResBlock, bake_spectral_norm

f = Failures()
torch.manual_seed(3)
for fin, fout, size in ((16, 16, 8), (16, 8, 16)):  # plain and learned-shortcut blocks
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
    names = [n for n, _ in holder.named_modules()]
    f.check(any(n.endswith("mlp_gamma_beta") for n in names), f"block {fin}->{fout}: gamma/beta merged into one conv")
    d1, d2 = (shared - ref).abs().max().item(), (fused - ref).abs().max().item()
    f.check(d1 < 1e-4 and d2 < 1e-4, f"block {fin}->{fout}: same output (shared {d1:.2e}, fused {d2:.2e})")

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
f.exit()
