"""The inverted-bottleneck MLP of a ConvNeXt-V2 block (LayerNorm, 1x1 expansion,
GELU, global response norm, 1x1 projection, residual add) as two Triton
kernels, for the compiled motion extractor (GPU performance issue).

Why: at batch 1, M's 18 blocks are launch- and latency-bound. Inductor runs each
block's MLP as nine kernels (LayerNorm; the expansion GEMM; the GRN's split
spatial sum of squares in two kernels; the mean over channels; the GRN apply;
the projection GEMM; the residual add), 3 to 5 us each for a few hundred
kilobytes, about 31 us per block of which 11 are the small reductions and
element-wise kernels and 4 are the gaps between kernels. Here:

  expand:  y (the depthwise convolution's output, NHWC) -> LayerNorm in the
           prologue (per-pixel mean and centred variance over C, two passes in
           fp32) -> GEMM with W1 -> + b1 -> exact (erf) GELU -> h, stored in
           half precision, and each tile's per-channel sum of h^2 over its
           pixels, added atomically into one float32 vector per image.
  project: GRN from those sums in the prologue (each channel's spatial
           L2 norm over the image, divided by the mean of the norms over the
           channels) -> A = h * (gamma * N(h) + 1) + beta -> GEMM with W2 ->
           + b2 + the block's input x -> out (NHWC).

Same function as the module; the GRN and LayerNorm are computed in fp32 from
the half-precision tensors (PyTorch's half GRN rounds its norms to half).

The kernels are registered with torch.library.triton_op (as
depthwise_conv_triton.py), so AOTInductor compiles them into the package.
Written by hand: Inductor cannot fuse a reduction over the GEMM's M dimension
into its epilogue nor a LayerNorm into its prologue, and cuBLAS has neither.

Needs PyTorch >= 2.6 with Triton and a CUDA GPU; elsewhere AVAILABLE is False.
"""
import torch

try:
    import triton
    import triton.language as tl
    from triton.language.extra import libdevice  # erf, as PyTorch's exact GELU
    from torch.library import triton_op, wrap_triton
    AVAILABLE = True
except ImportError:  # Debian's PyTorch 1.13, no Triton: the module's PyTorch path serves
    AVAILABLE = False


# Tile sizes (BLOCK_M, BLOCK_N, BLOCK_K, num_warps, num_stages) per channel
# count C of M's stages at batch 1 (64x64x96, 32x32x192, 16x16x384), the best of
# a sweep on an H100 (.device probe, CUDA-graph replay of one block). M's last
# stage (8x8x768) is left to Inductor and cuBLAS: there the kernels were slower
# (one block 29.8 -> 37.4 us), its GEMMs being 64 rows tall and 768 or 3072 deep.
EXPAND_TILES = {96: (32, 64, 32, 4, 3), 192: (32, 128, 32, 4, 3), 384: (16, 64, 64, 4, 3)}
PROJECT_TILES = {96: (64, 64, 64, 4, 3), 192: (32, 64, 64, 4, 3), 384: (32, 32, 256, 4, 2)}


if AVAILABLE:
    @triton.jit
    def _expand_kernel(y_ptr, ln_w_ptr, ln_b_ptr, w1t_ptr, b1_ptr, h_ptr, sumsq_ptr,
                       P, C, N, TILES, eps,
                       BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
        # Program (b * TILES + t, n): pixels t*BLOCK_M.. of image b, outputs n*BLOCK_N..
        pid_m = tl.program_id(0)
        b = pid_m // TILES
        t = pid_m % TILES
        rows = t * BLOCK_M + tl.arange(0, BLOCK_M)
        row_ok = rows < P
        ks = tl.arange(0, BLOCK_K)
        y_rows = y_ptr + (b * P + rows)[:, None] * C
        # LayerNorm statistics over the C channels of each pixel: mean, then the
        # centred variance (the tile is re-read from L1/L2, not from memory).
        total = tl.zeros((BLOCK_M,), tl.float32)
        for k0 in range(0, C, BLOCK_K):
            k_ok = (k0 + ks) < C
            a = tl.load(y_rows + (k0 + ks)[None, :], mask=row_ok[:, None] & k_ok[None, :], other=0.0)
            total += tl.sum(a.to(tl.float32), axis=1)
        mean = total / C
        sq = tl.zeros((BLOCK_M,), tl.float32)
        for k0 in range(0, C, BLOCK_K):
            k_ok = (k0 + ks) < C
            a = tl.load(y_rows + (k0 + ks)[None, :], mask=row_ok[:, None] & k_ok[None, :], other=0.0)
            d = tl.where(k_ok[None, :], a.to(tl.float32) - mean[:, None], 0.0)
            sq += tl.sum(d * d, axis=1)
        rstd = libdevice.rsqrt(sq / C + eps)
        # GEMM over C with the normalised tile as A.
        ns = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
        n_ok = ns < N
        acc = tl.zeros((BLOCK_M, BLOCK_N), tl.float32)
        for k0 in range(0, C, BLOCK_K):
            k_ok = (k0 + ks) < C
            a = tl.load(y_rows + (k0 + ks)[None, :], mask=row_ok[:, None] & k_ok[None, :], other=0.0)
            g = tl.load(ln_w_ptr + k0 + ks, mask=k_ok, other=0.0).to(tl.float32)
            beta = tl.load(ln_b_ptr + k0 + ks, mask=k_ok, other=0.0).to(tl.float32)
            a = (a.to(tl.float32) - mean[:, None]) * rstd[:, None] * g[None, :] + beta[None, :]
            w = tl.load(w1t_ptr + (k0 + ks)[:, None] * N + ns[None, :], mask=k_ok[:, None] & n_ok[None, :],
                        other=0.0)
            acc = tl.dot(a.to(w.dtype), w, acc)
        # Epilogue: bias, exact GELU, store h; the tile's sum of h^2 per channel.
        acc += tl.load(b1_ptr + ns, mask=n_ok, other=0.0).to(tl.float32)[None, :]
        h = (0.5 * acc * (1.0 + libdevice.erf(acc * 0.7071067811865476))).to(h_ptr.dtype.element_ty)
        tl.store(h_ptr + (b * P + rows)[:, None] * N + ns[None, :], h, mask=row_ok[:, None] & n_ok[None, :])
        hf = tl.where(row_ok[:, None], h.to(tl.float32), 0.0)
        tl.atomic_add(sumsq_ptr + b * N + ns, tl.sum(hf * hf, axis=0), mask=n_ok)

    @triton.jit
    def _project_kernel(h_ptr, sumsq_ptr, gamma_ptr, beta_ptr, w2t_ptr, b2_ptr, x_ptr, out_ptr,
                        P, C, N, M_TILES,
                        BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr,
                        N_P2: tl.constexpr):
        pid_m = tl.program_id(0)
        b = pid_m // M_TILES
        rows = (pid_m % M_TILES) * BLOCK_M + tl.arange(0, BLOCK_M)
        row_ok = rows < P
        ks = tl.arange(0, BLOCK_K)
        # GRN: the mean over channels of each channel's spatial L2 norm.
        all_n = tl.arange(0, N_P2)
        norms = tl.sqrt(tl.load(sumsq_ptr + b * N + all_n, mask=all_n < N, other=0.0))
        inv_mean = 1.0 / (tl.sum(norms, axis=0) / N + 1e-6)
        ns = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
        n_ok = ns < C
        acc = tl.zeros((BLOCK_M, BLOCK_N), tl.float32)
        for k0 in range(0, N, BLOCK_K):
            k_ok = (k0 + ks) < N
            norm = tl.sqrt(tl.load(sumsq_ptr + b * N + k0 + ks, mask=k_ok, other=0.0))
            gamma = tl.load(gamma_ptr + k0 + ks, mask=k_ok, other=0.0).to(tl.float32)
            beta = tl.load(beta_ptr + k0 + ks, mask=k_ok, other=0.0).to(tl.float32)
            scale = gamma * norm * inv_mean + 1.0
            a = tl.load(h_ptr + (b * P + rows)[:, None] * N + (k0 + ks)[None, :],
                        mask=row_ok[:, None] & k_ok[None, :], other=0.0)
            a = a.to(tl.float32) * scale[None, :] + beta[None, :]
            w = tl.load(w2t_ptr + (k0 + ks)[:, None] * C + ns[None, :], mask=k_ok[:, None] & n_ok[None, :],
                        other=0.0)
            acc = tl.dot(a.to(w.dtype), w, acc)
        # Epilogue: bias and the residual.
        at = (b * P + rows)[:, None] * C + ns[None, :]
        ok = row_ok[:, None] & n_ok[None, :]
        acc += tl.load(b2_ptr + ns, mask=n_ok, other=0.0).to(tl.float32)[None, :]
        acc += tl.load(x_ptr + at, mask=ok, other=0.0).to(tl.float32)
        tl.store(out_ptr + at, acc.to(out_ptr.dtype.element_ty), mask=ok)

    @triton_op("livepuppet::convnext_mlp", mutates_args={})
    def convnext_mlp(x: torch.Tensor, y: torch.Tensor, ln_weight: torch.Tensor, ln_bias: torch.Tensor,
                     w1t: torch.Tensor, b1: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor,
                     w2t: torch.Tensor, b2: torch.Tensor, eps: float) -> torch.Tensor:
        """x: the block input, y: its depthwise convolution, both [B, C, H, W]
        channels-last; w1t [C, 4C] and w2t [4C, C] (the Linear weights
        transposed, contiguous); returns x + MLP(y), channels-last. C must be
        one of EXPAND_TILES' keys."""
        batch, channels, height, width = x.shape
        pixels = height * width
        hidden = w1t.shape[1]
        bm, bn, bk, warps, stages = EXPAND_TILES[channels]
        tiles = triton.cdiv(pixels, bm)
        h = torch.empty((batch, pixels, hidden), device=x.device, dtype=x.dtype)
        sumsq = torch.zeros((batch, hidden), device=x.device, dtype=torch.float32)
        wrap_triton(_expand_kernel)[(batch * tiles, triton.cdiv(hidden, bn))](
            y, ln_weight, ln_bias, w1t, b1, h, sumsq, pixels, channels, hidden, tiles, eps,
            BLOCK_M=bm, BLOCK_N=bn, BLOCK_K=bk, num_warps=warps, num_stages=stages)
        out = torch.empty_like(x)
        bm, bn, bk, warps, stages = PROJECT_TILES[channels]
        m_tiles = triton.cdiv(pixels, bm)
        wrap_triton(_project_kernel)[(batch * m_tiles, triton.cdiv(channels, bn))](
            h, sumsq, gamma, beta, w2t, b2, x, out, pixels, channels, hidden, m_tiles,
            BLOCK_M=bm, BLOCK_N=bn, BLOCK_K=bk, N_P2=triton.next_power_of_2(hidden),
            num_warps=warps, num_stages=stages)
        return out
