"""Convert a reference PIPNet checkpoint (github jhb86253817/PIPNet) for one of our configs.

Example:
    python tools/convert_official_ckpt.py pip_32_16_60_r18_l2_l1_10_1_nb10.pth \
        work_dirs/wflw_res18_official.pth --config configs/pipnet/wflw_res18.py

The config must match the checkpoint (backbone, dataset K, num_neighbors, stride); the
result loads with ``mmpose.apis.init_model(config, DST)``.

The reference networks (``Pip_resnet18/50/101``, ``Pip_mbnetv2``) hold torchvision's trunk
(ResNet: ``conv1, bn1, layer1..4``; MobileNetV2: ``features.*``), optional stride layers
and the five 1x1 head convs. Their state dicts map one to one onto a
``TopdownPoseEstimator`` with a ``PIPHead``:

- trunk: ``conv1.*``, ``bn1.*``, ``layer1-4.*`` / ``features.*`` -> ``backbone.<MMPose
  name>`` (:mod:`mmpose_pipnet.models.backbone_keys`)
- head: ``cls_layer``, ``x_layer``, ``y_layer``, ``nb_x_layer``, ``nb_y_layer`` ->
  ``head.<same name>``
- stride 16: ``deconv1``, ``bn_deconv1`` -> ``head.stride_adapter.0``, ``.1``
- stride 64: ``layer5``, ``bn5`` -> ``head.stride_adapter.0``, ``.1``; stride 128 also
  ``layer6``, ``bn6`` -> ``head.stride_adapter.3``, ``.4``

Every tensor keeps its shape and values; only the names change. The reference's
ResNet-50/101 stride-64/128 networks cannot run (their ``layer5`` maps 2048 to 512 channels
but the 1x1 convs expect 2048), so no such checkpoints exist; ``PIPHead.stride_adapter``
keeps the channels, which is what makes those variants work here.
"""
import argparse
import copy
import os
import os.path as osp
from typing import Any, Dict, Optional, Union

import mmpose_pipnet  # noqa: F401  (registration)
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.apis.inference import dataset_meta_from_config
from mmpose.registry import MODELS
from mmpose_pipnet.engine.runner import to_lists
from mmpose_pipnet.models.backbone_keys import TRUNK_KEY_MAPS
from torch import Tensor

#: MMPose backbone type (the config's ``model.backbone.type``) -> reference trunk.
ARCH_BY_BACKBONE = {'ResNet': 'resnet', 'MobileNetV2': 'mobilenet_v2'}
#: The reference's five parallel 1x1 convs; the same names in ``PIPHead``.
HEAD_LAYERS = ('cls_layer', 'x_layer', 'y_layer', 'nb_x_layer', 'nb_y_layer')
#: The reference's stride layers (ResNet only) -> index in ``PIPHead.stride_adapter``
#: (stride 16: [ConvTranspose2d, BN, ReLU]; 64: [Conv2d, BN, ReLU]; 128: twice that).
STRIDE_LAYERS = {'deconv1': 0, 'bn_deconv1': 1, 'layer5': 0, 'bn5': 1, 'layer6': 3, 'bn6': 4}
#: Parts of a full torchvision network that the reference does not keep: dropped.
IGNORED_PREFIXES = {'resnet': ('fc.',), 'mobilenet_v2': ('classifier.',)}
_DATA_PARALLEL_PREFIX = 'module.'


def _converted_key(key: str, arch: str) -> Optional[str]:
    """Our key for one reference key (``None``: drop it); ``ValueError`` if unknown."""
    plain = key[len(_DATA_PARALLEL_PREFIX):] if key.startswith(_DATA_PARALLEL_PREFIX) else key
    if plain.startswith(IGNORED_PREFIXES[arch]):
        return None
    layer, _, leaf = plain.partition('.')
    if layer in HEAD_LAYERS:
        return f'head.{plain}'
    if arch == 'resnet' and layer in STRIDE_LAYERS:
        return f'head.stride_adapter.{STRIDE_LAYERS[layer]}.{leaf}'
    try:
        trunk_key = TRUNK_KEY_MAPS[arch](plain)
    except KeyError:  # a features.* key MobileNetV2 has no place for
        trunk_key = None
    if trunk_key is None:
        raise ValueError(f'unknown key {key!r} for a reference PIPNet {arch} checkpoint '
                         f'(does the config\'s backbone match the checkpoint?)')
    return f'backbone.{trunk_key}'


def convert_official_state_dict(state_dict: Dict[str, Any], arch: str) -> Dict[str, Tensor]:
    """Rename a reference PIPNet state dict to ``TopdownPoseEstimator`` keys.

    Args:
        state_dict: the reference network's ``state_dict()``, possibly saved from
            ``nn.DataParallel`` (keys prefixed ``module.``) or wrapped as
            ``{'state_dict': ...}``. Tensors: trunk weights, stride layers and the head
            convs ``cls/x/y_layer`` (K, C_in, 1, 1), ``nb_x/nb_y_layer`` (K*num_nb, C_in,
            1, 1) with their biases.
        arch: ``'resnet'`` (ResNet-18/50/101 trunk) or ``'mobilenet_v2'``.

    Returns:
        dict: the same tensors (shapes and values unchanged) under ``backbone.*`` and
        ``head.*`` keys; torchvision's ``fc.*`` / ``classifier.*`` are dropped.

    Raises:
        ValueError: an unknown ``arch``, a key with no place in our model, or two keys
            that land on the same converted key (e.g. ``layer5`` beside ``deconv1``).
    """
    if arch not in IGNORED_PREFIXES:
        raise ValueError(f'unknown arch {arch!r}; expected one of {sorted(IGNORED_PREFIXES)}')
    if 'state_dict' in state_dict:
        state_dict = state_dict['state_dict']
    converted: Dict[str, Tensor] = {}
    sources: Dict[str, str] = {}
    for key, value in state_dict.items():
        new_key = _converted_key(key, arch)
        if new_key is None:
            continue
        if new_key in converted:
            raise ValueError(f'keys {sources[new_key]!r} and {key!r} both convert to '
                             f'{new_key!r}')
        converted[new_key] = value
        sources[new_key] = key
    return converted


def _check_fits(converted: Dict[str, Tensor], expected: Dict[str, Tensor],
                config_name: str) -> None:
    """One-line ``ValueError`` naming every missing, unexpected or mis-shaped key."""
    problems = []
    # BN fills in a missing num_batches_tracked (checkpoints from torch < 0.4.1)
    missing = sorted(key for key in set(expected) - set(converted)
                     if not key.endswith('.num_batches_tracked'))
    unexpected = sorted(set(converted) - set(expected))
    if missing:
        problems.append(f'missing {missing}')
    if unexpected:
        problems.append(f'unexpected {unexpected}')
    for key in sorted(set(converted) & set(expected)):
        if converted[key].shape != expected[key].shape:
            problems.append(f'{key}: checkpoint {tuple(converted[key].shape)} vs model '
                            f'{tuple(expected[key].shape)}')
    if problems:
        raise ValueError(f'the checkpoint does not fit {config_name} (a different '
                         f'backbone, K, num_neighbors or stride?): ' + '; '.join(problems))


def convert_official_checkpoint(src: str, dst: str,
                                config: Union[str, os.PathLike, Config]) -> Dict[str, Any]:
    """Convert a reference PIPNet checkpoint for a config and save it.

    The architecture comes from the config's ``model.backbone.type`` (``ResNet`` or
    ``MobileNetV2``). The model is built from the config (backbone ``init_cfg`` off, so
    nothing is downloaded) and the converted weights are loaded with ``strict=True``;
    the file written holds that model's state dict, so MMPose's ``init_model`` (and
    mmengine's ``load_checkpoint``) read it.

    Args:
        src: the reference checkpoint (``torch.save(net.state_dict(), ...)``).
        dst: where to write ``{'state_dict': ..., 'meta': ...}``; folders are created.
        config: a config file or a loaded :class:`Config` matching the checkpoint
            (backbone, K = ``head.num_keypoints``, ``num_neighbors``, ``head.stride``).

    Returns:
        dict: the saved checkpoint; ``meta`` holds ``arch``, ``source``, ``config``
        (the file name, or ``None`` for a Config object) and the config's
        ``dataset_meta``.

    Raises:
        ValueError: an unsupported backbone type, an unknown key, or weights that do not
            fit the config (the message names the keys and both shapes).
    """
    config_file = str(config) if isinstance(config, (str, os.PathLike)) else None
    cfg = Config.fromfile(config_file) if config_file else copy.deepcopy(config)
    backbone_type = cfg.model.backbone.type
    if backbone_type not in ARCH_BY_BACKBONE:
        raise ValueError(f'backbone {backbone_type!r} has no reference PIPNet checkpoint; '
                         f'expected one of {sorted(ARCH_BY_BACKBONE)}')
    arch = ARCH_BY_BACKBONE[backbone_type]

    state_dict = torch.load(src, map_location='cpu', weights_only=True)
    converted = convert_official_state_dict(state_dict, arch)

    cfg.model.backbone.init_cfg = None
    init_default_scope(cfg.get('default_scope') or 'mmpose')
    model = MODELS.build(cfg.model)
    _check_fits(converted, model.state_dict(), config_file or 'the config')
    model.load_state_dict(converted, strict=True)

    checkpoint = dict(
        state_dict=model.state_dict(),
        meta=dict(arch=arch, source=osp.abspath(src), config=config_file,
                  dataset_meta=to_lists(dataset_meta_from_config(cfg, dataset_mode='train'))))
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    torch.save(checkpoint, dst)
    return checkpoint


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert a reference PIPNet checkpoint to an MMPose checkpoint')
    parser.add_argument('src', help='reference checkpoint (.pth)')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    parser.add_argument('--config', required=True,
                        help='our config the checkpoint matches, e.g. '
                             'configs/pipnet/wflw_res18.py')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    checkpoint = convert_official_checkpoint(args.src, args.dst, args.config)
    print(f'converted {args.src} ({checkpoint["meta"]["arch"]}, '
          f'{len(checkpoint["state_dict"])} tensors) -> {args.dst} for {args.config}')


if __name__ == '__main__':
    main()
