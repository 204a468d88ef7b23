"""Turn a training checkpoint into a small, weights-only release checkpoint."""
import hashlib
import os
import os.path as osp
from typing import Dict

import torch


def publish_checkpoint(src: str, dst: str, half: bool = True) -> Dict[str, int]:
    """Keep only the model weights (optionally as float16) and the dataset metainfo.

    Optimizer state, message hub and scheduler states are dropped. Floating tensors are
    stored as float16 when ``half`` (loading casts them back to the model's float32).

    Returns:
        dict: ``tensors`` and ``bytes`` of the written file.
    """
    ckpt = torch.load(src, map_location='cpu', weights_only=True)
    if 'state_dict' not in ckpt:
        raise ValueError(f'{src}: not an MMEngine checkpoint (no "state_dict")')
    state = {k: (v.half() if half and v.is_floating_point() else v)
             for k, v in ckpt['state_dict'].items()}
    meta = {k: v for k, v in ckpt.get('meta', {}).items()
            if k in ('dataset_meta', 'epoch', 'iter', 'mmengine_version')}
    if osp.dirname(dst):
        os.makedirs(osp.dirname(dst), exist_ok=True)
    torch.save(dict(state_dict=state, meta=meta), dst)
    return dict(tensors=len(state), bytes=osp.getsize(dst))


def sha256_prefix(path: str, length: int = 8) -> str:
    """The first ``length`` hex digits of a file's SHA-256 (release file names)."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()[:length]
