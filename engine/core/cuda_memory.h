#pragma once
// How the process's CUDA memory is managed by PyTorch's caching allocator.

namespace lp {

// Asks for expandable segments (PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True)
// unless the user set that variable. A CUDA graph's private pool then grows
// one mapping instead of keeping a segment per size it met during capture
// (cuDNN workspaces, activations): on an H200, batch 1 fp16 with graphs went
// from 1478 MB reserved to 1082 MB at the same speed (docs/PERFORMANCE.md).
// The allocator reads the variable when it first allocates, and setenv is not
// thread-safe: call this at the start of main(), before any thread or CUDA
// tensor exists. Both front ends (livepuppet, livepuppet-cli) do.
void prefer_expandable_cuda_segments();

}  // namespace lp
