"""Make a release checkpoint: weights only (float16 by default) plus the dataset metainfo.

Example:
    python tools/publish_model.py work_dirs/ytf68_mbv2/epoch_6.pth \
        checkpoints/pipnet_mbv2_ytf68.pth
"""
import argparse
import os
import os.path as osp
from typing import Dict

import torch
from mmpose_pipnet.engine.runner import from_plain, to_lists
from mmpose_pipnet.utils import InputError
from mmpose_pipnet.utils.files import file_sha256


def publish_checkpoint(src: str, dst: str, half: bool = True,
                       trust_pickle: bool = False) -> Dict[str, int]:
    """Keep only the model weights (optionally as float16) and the dataset metainfo, as
    plain lists, so the release loads with ``torch.load(weights_only=True)`` and no
    allowed globals (MMPose's ``init_model``, MMEngine's inferencers).

    Optimizer state, message hub and scheduler states are dropped. Floating tensors are
    stored as float16 when ``half`` (loading casts them back to the model's float32).
    ``trust_pickle`` loads a checkpoint written before PIPNetRunner (numpy arrays and
    ``HistoryBuffer`` pickles) with ``weights_only=False``: only for your own files.

    Returns:
        dict: ``tensors`` and ``bytes`` of the written file.
    """
    try:
        ckpt = torch.load(src, map_location='cpu', weights_only=not trust_pickle)
    except Exception as error:  # torch's UnpicklingError names the unsupported global
        if trust_pickle or 'Weights only load failed' not in str(error):
            raise
        raise InputError(f'{src}: holds pickled objects torch does not load with '
                         f'weights_only=True (a checkpoint not written by PIPNetRunner); '
                         f'if it is your own, add --trust-pickle') from None
    ckpt = from_plain(ckpt)
    if 'state_dict' not in ckpt:
        raise ValueError(f'{src}: not an MMEngine checkpoint (no "state_dict")')
    state = {k: (v.half() if half and v.is_floating_point() else v)
             for k, v in ckpt['state_dict'].items()}
    meta = to_lists({k: v for k, v in ckpt.get('meta', {}).items()
                     if k in ('dataset_meta', 'epoch', 'iter', 'mmengine_version')})
    if osp.dirname(dst):
        os.makedirs(osp.dirname(dst), exist_ok=True)
    torch.save(dict(state_dict=state, meta=meta), dst)
    return dict(tensors=len(state), bytes=osp.getsize(dst))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='training checkpoint')
    parser.add_argument('dst', help='release checkpoint to write')
    parser.add_argument('--fp32', action='store_true', help='keep float32 weights')
    parser.add_argument('--trust-pickle', action='store_true',
                        help='load a checkpoint of an older run with weights_only=False '
                             '(your own files only)')
    args = parser.parse_args()
    try:
        info = publish_checkpoint(args.src, args.dst, half=not args.fp32,
                                  trust_pickle=args.trust_pickle)
    except InputError as error:
        raise SystemExit(f'publish_model: {error}')
    print(f'{args.dst}: {info["tensors"]} tensors, {info["bytes"] / 1e6:.2f} MB, '
          f'sha256 {file_sha256(args.dst)[:8]}')


if __name__ == '__main__':
    main()
