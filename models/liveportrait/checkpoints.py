"""Reading the official checkpoint layout strictly, and the deterministic
random initialisation used when no checkpoint is available.

Official layout (HuggingFace KwaiVGI/LivePortrait, pretrained_weights/liveportrait/):
  base_models/{appearance_feature_extractor,motion_extractor,warping_module,spade_generator}.pth
  retargeting_models/stitching_retargeting_module.pth
    = {"retarget_shoulder": ..., "retarget_mouth": ..., "retarget_eye": ...}
      whose keys carry the DDP prefix "module.".
"""
import hashlib
import os
import pickletools
import zipfile
import zlib
from typing import Dict

import numpy as np
import torch
from torch import nn

from .registry import ModuleSpec


class CheckpointError(RuntimeError):
    """A checkpoint file is missing, unreadable or does not fit the network."""


def sha256_of(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# The only classes/functions a state-dict checkpoint may reference.
_ALLOWED_GLOBALS = {"collections OrderedDict",
                    "torch._utils _rebuild_tensor_v2", "torch._utils _rebuild_tensor_v3",
                    "torch._utils _rebuild_parameter", "torch._utils _rebuild_parameter_with_state",
                    "torch Size", "torch device"} | {
    f"torch {t}Storage" for t in ("Float", "Double", "Half", "BFloat16", "Long", "Int", "Short",
                                  "Char", "Byte", "Bool")}


def _check_pickle_is_data(path: str) -> None:
    """Scan the pickle inside a (zip) checkpoint without running it: every class
    or function it names must be one that rebuilds tensors or containers.
    Protocol <= 3 pickles can only name callables through GLOBAL; the opcodes
    that name them otherwise are refused outright."""
    try:
        with zipfile.ZipFile(path) as z:
            pkl = [n for n in z.namelist() if n.endswith("data.pkl")]
            if len(pkl) != 1:
                raise CheckpointError(f"{path}: cannot be read as a PyTorch checkpoint (no data.pkl)")
            data = z.read(pkl[0])
    except zipfile.BadZipFile as e:
        raise CheckpointError(f"{path}: cannot be read as a PyTorch checkpoint ({e})") from None
    for op, arg, _ in pickletools.genops(data):
        if op.name == "GLOBAL":
            if arg not in _ALLOWED_GLOBALS:
                raise CheckpointError(f"{path}: refusing to load, it references {arg!r} "
                                      "(a checkpoint must hold tensors only)")
        elif op.name in ("STACK_GLOBAL", "INST", "EXT1", "EXT2", "EXT4"):
            raise CheckpointError(f"{path}: refusing to load, pickle opcode {op.name} "
                                  "(a checkpoint must hold tensors only)")


def _torch_load(path: str):
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        # torch 1.13's weights_only loader rejects the official stitching file (its
        # optimizer state holds Python floats, pickle opcode BINFLOAT). Check the
        # pickle ourselves, then load it normally.
        _check_pickle_is_data(path)
        return torch.load(path, map_location="cpu")


_file_cache: Dict[str, object] = {}


def read_state_dict(root: str, spec: ModuleSpec) -> Dict[str, torch.Tensor]:
    """The state dict for `spec` from the checkpoint folder `root`, with any
    leading "module." stripped. Raises CheckpointError naming the file."""
    path = os.path.join(root, spec.checkpoint)
    if not os.path.isfile(path):
        raise CheckpointError(f"{path}: checkpoint file not found "
                              f"(expected the official layout under {root})")
    if path not in _file_cache:
        try:
            _file_cache.clear()  # keep at most one (possibly 200 MB) file in memory
            _file_cache[path] = _torch_load(path)
        except CheckpointError:
            raise
        except Exception as e:  # corrupt zip, truncated download, pickle error ...
            raise CheckpointError(f"{path}: cannot be read as a PyTorch checkpoint ({e})") from None
    data = _file_cache[path]
    if spec.subkey is not None:
        if not isinstance(data, dict) or spec.subkey not in data:
            raise CheckpointError(f"{path}: missing sub-dict '{spec.subkey}'")
        data = data[spec.subkey]
    if not isinstance(data, dict):
        raise CheckpointError(f"{path}: not a state dict (found {type(data).__name__})")
    out = {}
    for k, v in data.items():
        key = k[len("module."):] if k.startswith("module.") else k
        if not isinstance(v, torch.Tensor):
            raise CheckpointError(f"{path}: entry '{k}' is not a tensor")
        out[key] = v
    return out


def load_strict(model: nn.Module, state: Dict[str, torch.Tensor], where: str) -> None:
    """load_state_dict with an error message that names every bad key and the file."""
    expected = model.state_dict()
    where_sub = where
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    problems = []
    if missing:
        problems.append("missing key(s): " + ", ".join(f"'{k}'" for k in missing[:10])
                        + (f" (+{len(missing) - 10} more)" if len(missing) > 10 else ""))
    if unexpected:
        problems.append("unexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected[:10])
                        + (f" (+{len(unexpected) - 10} more)" if len(unexpected) > 10 else ""))
    for k, v in expected.items():
        if k in state and (tuple(state[k].shape) != tuple(v.shape) or state[k].dtype != v.dtype):
            problems.append(f"key '{k}' has shape {list(state[k].shape)} {state[k].dtype}, "
                            f"expected {list(v.shape)} {v.dtype}")
    if problems:
        raise CheckpointError(f"{where_sub}: " + "; ".join(problems))
    model.load_state_dict(state, strict=True)


def _rule_tensor(rule_file: str, key: str, shape, dtype: torch.dtype, seed: int) -> torch.Tensor:
    """One tensor of the deterministic rule (same rule as
    ../shared/liveportrait/make_fake_checkpoints.py, so --random-init --seed N
    gives the very weights of the fake checkpoints of seed N)."""
    rng = np.random.default_rng((seed << 32) ^ zlib.crc32(f"{rule_file}/{key}".encode()))
    leaf = key.split(".")[-1]
    shape = tuple(shape)
    if dtype == torch.int64:
        return torch.zeros(shape, dtype=torch.int64)
    if leaf == "running_mean":
        a = rng.uniform(-0.1, 0.1, shape)
    elif leaf == "running_var":
        a = rng.uniform(0.5, 1.5, shape)
    elif leaf in ("gamma", "beta"):
        a = rng.uniform(-0.1, 0.1, shape)
    elif len(shape) == 1 and leaf == "weight":
        a = 1.0 + rng.uniform(-0.1, 0.1, shape)
    elif len(shape) == 1 and leaf == "bias":
        a = rng.uniform(-0.05, 0.05, shape)
    elif len(shape) >= 2:
        bound = 1.0 / np.sqrt(int(np.prod(shape[1:])))
        a = rng.uniform(-bound, bound, shape)
    else:  # spectral-norm vectors; fixed up per layer below
        a = rng.uniform(-1.0, 1.0, shape)
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))


def random_state_dict(model: nn.Module, spec: ModuleSpec, seed: int) -> Dict[str, torch.Tensor]:
    """Deterministic weights for `model`: uniform fan-in scaled conv/linear weights,
    near-identity norms, and for spectral norm a unit v with u = normalize(W v)
    (so sigma is the power-iteration estimate and outputs stay in range)."""
    prefix = "module." if spec.subkey else ""  # the rule hashes the keys as stored
    state = {k: _rule_tensor(spec.fake_rule_file, prefix + k, v.shape, v.dtype, seed)
             for k, v in model.state_dict().items()}
    for k in list(state):
        if k.endswith(".weight_orig"):
            base = k[:-len("weight_orig")]
            w = state[k].reshape(state[k].shape[0], -1).double()
            v = state[base + "weight_v"].double()
            v = v / v.norm()
            u = w @ v
            u = u / u.norm()
            state[base + "weight_v"] = v.float()
            state[base + "weight_u"] = u.float()
    return state


def build_loaded(spec: ModuleSpec, checkpoints: str = None, seed: int = None) -> nn.Module:
    """Build `spec`'s network in eval mode with its weights: from the official
    checkpoint folder when `checkpoints` is given, else the random rule for `seed`."""
    model = spec.build()
    if checkpoints is not None:
        path = os.path.join(checkpoints, spec.checkpoint)
        where = path + (f" [{spec.subkey}]" if spec.subkey else "")
        load_strict(model, read_state_dict(checkpoints, spec), where)
    else:
        model.load_state_dict(random_state_dict(model, spec, 0 if seed is None else seed))
    return model.eval()
