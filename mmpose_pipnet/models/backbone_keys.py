"""Key maps from torchvision's trunk layouts to MMPose's backbones.

Used for ImageNet initialisation (:mod:`.imagenet_weights`) and for converting the
reference PIPNet checkpoints (``tools/convert_official_ckpt.py``), whose trunks are
torchvision's ResNet (``conv1, bn1, layer1..4``) and MobileNetV2 (``features.*``).
"""
import re
from typing import Dict, Optional

from torch import Tensor

# blocks per stage of MobileNetV2 (torchvision features.1-17 = MMPose layer1-7)
_MBV2_BLOCKS = (1, 2, 3, 4, 3, 3, 1)
_MBV2_FEATURE_TO_BLOCK = {}
_index = 1
for _stage, _count in enumerate(_MBV2_BLOCKS):
    for _block in range(_count):
        _MBV2_FEATURE_TO_BLOCK[_index] = f'layer{_stage + 1}.{_block}'
        _index += 1
# inside an inverted residual: torchvision's conv.* -> MMPose's ConvModules conv.N.{conv,bn}
_MBV2_EXPAND = {'0.0': '0.conv', '0.1': '0.bn', '1.0': '1.conv', '1.1': '1.bn',
                '2': '2.conv', '3': '2.bn'}
_MBV2_NO_EXPAND = {'0.0': '0.conv', '0.1': '0.bn', '1': '1.conv', '2': '1.bn'}
_MBV2_KEY = re.compile(r'^features\.(\d+)\.(.+)$')


def mobilenet_v2_key(key: str) -> Optional[str]:
    """torchvision ``mobilenet_v2`` key (``features.*``) -> MMPose ``MobileNetV2`` key
    (widen_factor 1, out_indices (7,)); ``None`` for keys MMPose has no place for
    (the classifier)."""
    match = _MBV2_KEY.match(key)
    if match is None:
        return None
    index, rest = int(match.group(1)), match.group(2)
    stem = {0: 'conv1', 18: 'conv2'}.get(index)
    if stem is not None:  # Conv2dNormActivation: 0 = conv, 1 = bn
        sub, _, leaf = rest.partition('.')
        return f'{stem}.{"conv" if sub == "0" else "bn"}.{leaf}'
    if index not in _MBV2_FEATURE_TO_BLOCK:
        return None
    table = _MBV2_NO_EXPAND if index == 1 else _MBV2_EXPAND
    inner = re.match(r'^conv\.(\d+(?:\.\d+)?)\.(weight|bias|running_mean|running_var|'
                     r'num_batches_tracked)$', rest)
    if inner is None or inner.group(1) not in table:
        raise KeyError(f'unexpected MobileNetV2 key {key!r}')
    return f'{_MBV2_FEATURE_TO_BLOCK[index]}.conv.{table[inner.group(1)]}.{inner.group(2)}'


def resnet_key(key: str) -> Optional[str]:
    """torchvision ResNet key -> MMPose ``ResNet`` key (the same names), ``None`` for fc."""
    if key.startswith(('conv1.', 'bn1.', 'layer1.', 'layer2.', 'layer3.', 'layer4.')):
        return key
    return None


TRUNK_KEY_MAPS = {'resnet': resnet_key, 'mobilenet_v2': mobilenet_v2_key}


def convert_trunk(state_dict: Dict[str, Tensor], arch: str) -> Dict[str, Tensor]:
    """Rename a torchvision trunk's state dict to MMPose's backbone, dropping the rest."""
    if arch not in TRUNK_KEY_MAPS:
        raise ValueError(f'unknown trunk {arch!r}; expected one of {sorted(TRUNK_KEY_MAPS)}')
    key_map = TRUNK_KEY_MAPS[arch]
    out = {}
    for key, value in state_dict.items():
        new_key = key_map(key)
        if new_key is not None:
            out[new_key] = value
    return out
