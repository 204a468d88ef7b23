"""Checks of a config's data paths before MMEngine builds anything."""
import os.path as osp
from typing import Sequence

from mmengine.config import Config

from .errors import InputError


def check_data_files(cfg: Config, loader_names: Sequence[str]) -> None:
    """Raise a one-line :class:`InputError` when a dataloader's annotation file or image
    folder does not exist (MMEngine would fail deep inside the dataset with a traceback).

    Only plain dataset configs with ``ann_file`` / ``data_prefix['img']`` are checked;
    wrappers and remote paths (``s3://`` and the like) are left to MMEngine.
    """
    for name in loader_names:
        dataset = (cfg.get(name) or {}).get('dataset') or {}
        root = dataset.get('data_root') or ''
        ann_file = dataset.get('ann_file')
        if ann_file and '://' not in ann_file:
            path = ann_file if osp.isabs(ann_file) else osp.join(root, ann_file)
            if not osp.isfile(path):
                raise InputError(f'{name}.dataset.ann_file: {path} not found (data_root='
                                 f'{root!r}, ann_file={ann_file!r})')
        img_dir = (dataset.get('data_prefix') or {}).get('img')
        if img_dir is not None and '://' not in img_dir:
            path = img_dir if osp.isabs(img_dir) else osp.join(root, img_dir)
            if path and not osp.isdir(path):
                raise InputError(f'{name}.dataset.data_prefix.img: image folder {path} not '
                                 f'found')
