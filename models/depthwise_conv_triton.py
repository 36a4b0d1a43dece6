"""A depthwise (one filter per channel) 2-D convolution as a Triton kernel, for
the compiled motion extractor (GPU performance issue).

M's ConvNeXt-V2 blocks each start with a 7x7 depthwise convolution. cuDNN runs
these at batch 1 in its generic channels-last kernel (conv2d_c1_k1_nhwc): 11 to
15 us each on an H100 for a few hundred kilobytes of data, 0.22 ms of M's
0.7 ms. Here each program computes a strip of one output row for a block of
channels, summing the k*k shifted input tiles with fp32 accumulation; the
input's neighbourhood stays in L1/L2 between taps.

The kernel is registered as torch.ops.livepuppet.depthwise_conv2d with
torch.library.triton_op, so that torch.export / AOTInductor see the Triton
kernel itself and compile it into the package (the C++ runtime needs no Python
or registration). Written by hand because neither cuDNN nor Inductor's
generated code runs this shape well (docs/PERFORMANCE.md).

Needs PyTorch >= 2.6 with Triton and a CUDA GPU; elsewhere AVAILABLE is False
and callers use F.conv2d.
"""
import torch

try:
    import triton
    import triton.language as tl
    from torch.library import triton_op, wrap_triton
    AVAILABLE = True
except ImportError:  # Debian's PyTorch 1.13, no Triton: the plain convolution serves
    AVAILABLE = False

if AVAILABLE:
    @triton.jit
    def _depthwise_kernel(x_ptr, w_ptr, b_ptr, out_ptr, C, H, W,
                          sxb, sxc, sxh, sxw, sob, soc, soh, sow, swc, swh, sww,
                          K: tl.constexpr, PAD: tl.constexpr, BLOCK_W: tl.constexpr, BLOCK_C: tl.constexpr):
        row = tl.program_id(0)  # b * H + h
        b = row // H
        h = row % H
        ws = tl.program_id(1) * BLOCK_W + tl.arange(0, BLOCK_W)
        cs = tl.program_id(2) * BLOCK_C + tl.arange(0, BLOCK_C)
        c_ok = cs < C
        acc = tl.zeros((BLOCK_W, BLOCK_C), dtype=tl.float32)
        for kh in tl.static_range(K):
            ih = h + kh - PAD
            row_ok = (ih >= 0) & (ih < H)
            for kw in tl.static_range(K):
                iw = ws + kw - PAD
                ok = row_ok & (iw >= 0) & (iw < W)
                x = tl.load(x_ptr + b * sxb + ih * sxh + iw[:, None] * sxw + cs[None, :] * sxc,
                            mask=ok[:, None] & c_ok[None, :], other=0.0)
                wt = tl.load(w_ptr + cs * swc + kh * swh + kw * sww, mask=c_ok, other=0.0)
                acc += x.to(tl.float32) * wt.to(tl.float32)[None, :]
        acc += tl.load(b_ptr + cs, mask=c_ok, other=0.0).to(tl.float32)[None, :]
        tl.store(out_ptr + b * sob + h * soh + ws[:, None] * sow + cs[None, :] * soc,
                 acc.to(out_ptr.dtype.element_ty), mask=(ws < W)[:, None] & c_ok[None, :])

    @triton_op("livepuppet::depthwise_conv2d", mutates_args={})
    def depthwise_conv2d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, padding: int) -> torch.Tensor:
        """x [B,C,H,W] (any strides), weight [C,1,k,k], bias [C]; stride 1,
        zero padding `padding` each side with 2*padding = k-1 ("same")."""
        batch, channels, height, width = x.shape
        k = weight.shape[-1]
        out = torch.empty_like(x)  # keeps x's memory format (channels-last in M)
        block_w = min(32, triton.next_power_of_2(width))
        block_c = 64
        grid = (batch * height, triton.cdiv(width, block_w), triton.cdiv(channels, block_c))
        wrap_triton(_depthwise_kernel)[grid](
            x, weight, bias, out, channels, height, width,
            x.stride(0), x.stride(1), x.stride(2), x.stride(3),
            out.stride(0), out.stride(1), out.stride(2), out.stride(3),
            weight.stride(0), weight.stride(2), weight.stride(3),
            K=k, PAD=padding, BLOCK_W=block_w, BLOCK_C=block_c)
        return out
