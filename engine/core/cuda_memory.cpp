#include "core/cuda_memory.h"

#include <cstdlib>

namespace lp {

void prefer_expandable_cuda_segments() {
  setenv("PYTORCH_CUDA_ALLOC_CONF", "expandable_segments:True", /*overwrite=*/0);
}

}  // namespace lp
