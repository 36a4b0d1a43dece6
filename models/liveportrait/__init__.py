"""LivePuppet's own PyTorch definitions of the five LivePortrait networks
(Guo et al. 2024), state_dict-compatible with the official checkpoints."""
