"""PIPHead: PIPNet's prediction head (score map, offsets, neighbour offsets; Jin, Liao &
Shao, IJCV 2021, arXiv 2003.03771) with its losses built from MMPose's registry."""
import copy
import inspect
import math
from typing import Dict, List, Tuple, Union

import numpy as np
import torch
from mmengine.structures import InstanceData, PixelData
from mmpose.models.heads.base_head import BaseHead
from mmpose.models.utils.tta import flip_coordinates
from mmpose.registry import KEYPOINT_CODECS, MODELS
from mmpose.utils.typing import ConfigType, Features, OptConfigType, OptSampleList
from torch import Tensor, nn

from ...codecs.pip_label import gather_at_cells
from ...utils.errors import InputError

#: Score-map loss weight by stride: the values PIPNet trains with.
CLS_WEIGHT_BY_STRIDE = {16: 50.0, 32: 10.0, 64: 8.0, 128: 4.0}


def build_stride_adapter(channels: int, backbone_stride: int, stride: int) -> nn.Sequential:
    """PIPNet's extra layers that move the backbone's stride to the head's.

    Half the stride: ConvTranspose2d(k4, s2, p1, no bias) + BN + ReLU. Each doubling:
    Conv2d(k3, s2, p1) + BN + ReLU. Equal strides: no layer. Channels are kept (as PIPNet's
    ResNet-18 layers; its code's ResNet-50/101 ones narrow to 512 channels but then feed
    2048-channel convs, and cannot run).
    """
    ratio = stride / backbone_stride
    steps = math.log2(ratio) if ratio > 0 else float('nan')
    if not steps.is_integer() or steps < -1:
        raise InputError(f'PIPHead: stride {stride} must be backbone_stride '
                         f'{backbone_stride} times 1/2, 1, 2, 4, ...')
    layers: List[nn.Module] = []
    if steps == -1:
        layers += [nn.ConvTranspose2d(channels, channels, 4, stride=2, padding=1, bias=False),
                   nn.BatchNorm2d(channels), nn.ReLU(inplace=True)]
    for _ in range(int(max(steps, 0))):
        layers += [nn.Conv2d(channels, channels, 3, stride=2, padding=1),
                   nn.BatchNorm2d(channels), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


def _with_stride_weight(loss_cls: ConfigType, stride: int) -> ConfigType:
    """``loss_cls`` with ``loss_weight`` set to the stride's score-map weight
    (:data:`CLS_WEIGHT_BY_STRIDE`) when the config leaves it out and the loss takes one."""
    loss_cls = copy.deepcopy(loss_cls)
    loss_type = loss_cls.get('type')
    loss_class = MODELS.get(loss_type) if isinstance(loss_type, str) else loss_type
    if 'loss_weight' in loss_cls or loss_class is None or \
            'loss_weight' not in inspect.signature(loss_class).parameters:
        return loss_cls  # an unknown type fails in MODELS.build with its own message
    if stride not in CLS_WEIGHT_BY_STRIDE:
        raise InputError(f'PIPHead: no default score-map loss weight for stride {stride} '
                         f'(known: {sorted(CLS_WEIGHT_BY_STRIDE)}); set loss_cls.loss_weight')
    loss_cls['loss_weight'] = CLS_WEIGHT_BY_STRIDE[stride]
    return loss_cls


@MODELS.register_module()
class PIPHead(BaseHead):
    """Pixel-in-pixel head: five parallel 1x1 convs on the last feature map.

    Outputs, for a (B, in_channels, h, w) feature map moved to the head's stride
    (grid H x W cells):

        - cls: (B, K, H, W) raw score logits (no sigmoid, as in PIPNet)
        - off_x, off_y: (B, K, H, W) in-cell offsets, in cells
        - nb_x, nb_y: (B, K*C, H, W) neighbour offsets from the point's cell, in cells;
          channel C*i+j is neighbour j of point i

    Losses (modules from MMPose's ``MODELS`` registry, called MMPose's way:
    ``loss(output, target, target_weights)``), with the targets of
    :meth:`PIPLabel.grid_targets` and the weights ``keypoint_weights`` (0 = masked):

        - ``loss_cls``: ``loss_cls(cls (B, K, H, W), one-hot (B, K, H, W), (B, K))``
        - ``loss_offset``: ``loss_offset(offsets (B, K, 2), targets (B, K, 2), (B, K))``,
          the predicted offsets taken at the ground-truth cell, in cells
        - ``loss_nb``: ``loss_nb(nb offsets (B, K, C, 2), targets (B, K, C, 2), (B, K, C))``,
          a neighbour pair weighted by both ends' weights

    The defaults are PIPNet's loss: the score-map MSE averaged over the valid points'
    maps, weighted 50/10/8/4 at stride 16/32/64/128 (:class:`MaskedKeypointMSELoss`),
    and the L1 errors of x and y averaged over the valid points (pairs) and summed
    (:class:`MaskedL1Loss`, weight 1); with every point valid this is PIPNet's loss.

    Coarse score maps (e.g. self-training with curriculum, STC): a sample whose
    ``gt_instance_labels.score_map_pools`` (N,) is n >= 1 (:func:`tag_stc_task` writes it
    for ``'cls2'``: 1, ``'cls3'``: 2) supervises only the score map of the head's feature
    map max-pooled 2x2 n times (``ceil_mode``: a 6x6 grid gives 3x3 and 2x2 maps), through
    the same ``cls_layer`` and ``loss_cls``, as ``loss_cls{n + 1}``; 0 (also when absent)
    supervises every output at the head's stride. Each term is computed over the samples
    of its level only (the others' weights are 0), and ``loss_cls{n + 1}`` appears only
    when the batch holds samples of level n.

    Args:
        in_channels (int): channels of the backbone's last feature map
        num_keypoints (int): K
        decoder (dict): a ``PIPLabel`` codec config (input size, C, the mean face)
        stride (int): input pixels per score-map cell: 32 (PIPNet's default, no extra
            layer), 16, 64 or 128. The grid is ``input_size / stride``.
        backbone_stride (int): stride of the backbone's last feature map. Default 32.
        loss_cls (dict): the score-map loss. Default
            ``dict(type='MaskedKeypointMSELoss')``; a ``loss_weight`` left out is filled
            with 50/10/8/4 for stride 16/32/64/128 (when the loss takes one; another stride
            needs it given).
        loss_offset (dict): the in-cell offset loss. Default
            ``dict(type='MaskedL1Loss', loss_weight=1.0)``.
        loss_nb (dict): the neighbour offset loss. Default
            ``dict(type='MaskedL1Loss', loss_weight=1.0)``.
        init_cfg: default: PIPNet's normal(std=0.001) for convs, bias 0
    """

    def __init__(self,
                 in_channels: int,
                 num_keypoints: int,
                 decoder: ConfigType,
                 stride: int = 32,
                 backbone_stride: int = 32,
                 loss_cls: ConfigType = dict(type='MaskedKeypointMSELoss'),
                 loss_offset: ConfigType = dict(type='MaskedL1Loss', loss_weight=1.0),
                 loss_nb: ConfigType = dict(type='MaskedL1Loss', loss_weight=1.0),
                 init_cfg: OptConfigType = None) -> None:
        if init_cfg is None:
            init_cfg = [dict(type='Normal', layer=['Conv2d', 'ConvTranspose2d'], std=0.001,
                             bias=0),
                        dict(type='Constant', layer='BatchNorm2d', val=1, bias=0)]
        super().__init__(init_cfg)
        if decoder is None:
            raise InputError('PIPHead needs a decoder (a PIPLabel codec config)')
        self.decoder = KEYPOINT_CODECS.build(decoder)
        if self.decoder.neighbors is None:
            raise InputError('PIPHead: the decoder needs a meanface (the neighbours)')
        if self.decoder.num_keypoints != num_keypoints:
            raise InputError(f'PIPHead: num_keypoints={num_keypoints} but the decoder (mean '
                             f'face) has K={self.decoder.num_keypoints}')
        self.in_channels = in_channels
        self.num_keypoints = num_keypoints
        self.num_neighbors = self.decoder.num_neighbors
        width, height = self.decoder.input_size
        if width % stride or height % stride:
            raise InputError(f'PIPHead: input_size {self.decoder.input_size} is not a '
                             f'multiple of stride {stride}')
        self.stride = stride
        self.stride_adapter = build_stride_adapter(in_channels, backbone_stride, self.stride)
        # MMPose's losses hold no parameters or buffers: the state-dict keys (the
        # checkpoint format) stay the convs' and the adapter's
        self.loss_module = nn.ModuleDict(dict(
            cls=MODELS.build(_with_stride_weight(loss_cls, self.stride)),
            offset=MODELS.build(loss_offset),
            nb=MODELS.build(loss_nb)))

        num_nb_channels = num_keypoints * self.num_neighbors
        self.cls_layer = nn.Conv2d(in_channels, num_keypoints, 1)
        self.x_layer = nn.Conv2d(in_channels, num_keypoints, 1)
        self.y_layer = nn.Conv2d(in_channels, num_keypoints, 1)
        self.nb_x_layer = nn.Conv2d(in_channels, num_nb_channels, 1)
        self.nb_y_layer = nn.Conv2d(in_channels, num_nb_channels, 1)
        self._register_load_state_dict_pre_hook(self._check_checkpoint_shapes)

    def _check_checkpoint_shapes(self, state_dict: Dict, prefix: str, *args) -> None:
        """Refuse weights made for another K, neighbour count or backbone width: loading
        would otherwise leave the head randomly initialised behind a warning."""
        expected = dict(cls_layer=(self.num_keypoints, self.in_channels),
                        nb_x_layer=(self.num_keypoints * self.num_neighbors,
                                    self.in_channels))
        for layer, (out_channels, in_channels) in expected.items():
            weight = state_dict.get(f'{prefix}{layer}.weight')
            if weight is None:
                continue
            if tuple(weight.shape[:2]) != (out_channels, in_channels):
                raise InputError(
                    f'PIPHead: the checkpoint\'s {prefix}{layer}.weight is '
                    f'{tuple(weight.shape[:2])} (out, in channels) but this head needs '
                    f'{(out_channels, in_channels)} (K={self.num_keypoints}, num_nb='
                    f'{self.num_neighbors}, in_channels={self.in_channels}): a checkpoint '
                    f'for another landmark set or backbone (to reuse its backbone only: '
                    f"backbone init_cfg=dict(type='Pretrained', prefix='backbone.', "
                    f'checkpoint=...))')

    def _check_inputs(self, feats: Tuple[Tensor], batch_data_samples: OptSampleList) -> None:
        """One-line errors for the config mistakes that would otherwise surface as shape
        errors or silently misplaced keypoints."""
        channels = feats[-1].shape[1]
        if channels != self.in_channels:
            raise InputError(f'PIPHead: the backbone gives {channels} channels, in_channels='
                             f'{self.in_channels}')
        meta = batch_data_samples[0].metainfo if batch_data_samples else {}
        data_points = len(meta.get('flip_indices', [])) or self.num_keypoints
        if data_points != self.num_keypoints:
            raise InputError(f'PIPHead: the dataset has K={data_points} keypoints '
                             f'(flip_indices), the head num_keypoints={self.num_keypoints}')
        input_size = meta.get('input_size')
        if input_size is not None and tuple(input_size) != self.decoder.input_size:
            raise InputError(f'PIPHead: the pipeline crops {tuple(input_size)} but the '
                             f'decoder input_size is {self.decoder.input_size}')

    def forward(self, feats: Tuple[Tensor]) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        """(cls, off_x, off_y, nb_x, nb_y) from the last feature map (see class doc)."""
        return self._maps(self.stride_adapter(feats[-1]))

    def _maps(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        """The five 1x1 convs on a feature map already at the head's stride, as contiguous
        (NCHW) tensors whatever the feature map's memory layout."""
        return tuple(layer(x).contiguous() for layer in (
            self.cls_layer, self.x_layer, self.y_layer, self.nb_x_layer, self.nb_y_layer))

    def predict(self,
                feats: Features,
                batch_data_samples: OptSampleList,
                test_cfg: OptConfigType = {}
                ) -> Union[List[InstanceData], Tuple[List[InstanceData], List[PixelData]]]:
        """Keypoints (1, K, 2) in input-crop pixels and scores (1, K) per sample.

        With ``test_cfg['flip_test']`` (off by default, as in PIPNet), ``feats`` is
        ``[feats, feats_of_flipped_input]``: both are decoded (NRM merge included), the
        flipped prediction is mirrored back (``x -> w - 1 - x``, points re-indexed by the
        dataset's ``flip_indices``) and the two are averaged. A model trained on labels
        whose first pixel centre is ``test_cfg['label_origin']`` (image pixels; 1 for
        1-based labels, the ``label_origin`` of ``RandomFlipWithLabelOrigin``) predicts in
        that convention, so its mirror is ``x -> w - 1 - x + 2 * label_origin * s``, with
        s = crop pixels per image pixel (the sample's ``input_size / input_scale``).
        ``output_heatmaps`` adds the raw score maps (B, K, H, W) as ``pred_fields``.
        """
        if test_cfg.get('flip_test', False):
            if not (isinstance(feats, list) and len(feats) == 2):
                raise InputError('PIPHead.predict: flip_test expects [feats, flipped_feats]')
            self._check_inputs(feats[0], batch_data_samples)
            outputs = self.forward(feats[0])
            coords, scores = self.decoder.decode_normalized(*outputs)
            coords_flip, scores_flip = self.decoder.decode_normalized(*self.forward(feats[1]))
            flip_indices = batch_data_samples[0].metainfo['flip_indices']
            coords_flip = flip_coordinates(
                torch.from_numpy(coords_flip), flip_indices,
                shift_coords=test_cfg.get('shift_coords', True),
                input_size=self.decoder.input_size).numpy()
            coords_flip[..., 0] += self._label_origin_shift(batch_data_samples,
                                                            test_cfg.get('label_origin', 0))
            coords = (coords + coords_flip) * 0.5
            scores = (scores + scores_flip[:, flip_indices]) * 0.5
        else:
            self._check_inputs(feats, batch_data_samples)
            outputs = self.forward(feats)
            coords, scores = self.decoder.decode_normalized(*outputs)

        keypoints = self.decoder.to_input_pixels(coords)
        preds = [InstanceData(keypoints=kpts[None], keypoint_scores=score[None])
                 for kpts, score in zip(keypoints, scores)]
        if test_cfg.get('output_heatmaps', False):
            return preds, [PixelData(heatmaps=hm) for hm in outputs[0].detach()]
        return preds

    @staticmethod
    def _label_origin_shift(batch_data_samples: OptSampleList,
                            label_origin: float) -> np.ndarray:
        """(B, 1): ``2 * label_origin`` image pixels in crop-normalised x, per sample."""
        if not label_origin:
            return np.zeros((len(batch_data_samples), 1), dtype=np.float32)
        if any('input_scale' not in d.metainfo for d in batch_data_samples):
            raise InputError('PIPHead.predict: test_cfg label_origin needs each sample\'s '
                             'input_scale (the crop box in image pixels; PackPoseInputs '
                             'meta_keys)')
        box_width = np.array([d.metainfo['input_scale'][0] for d in batch_data_samples],
                             dtype=np.float32)
        return (2 * label_origin / box_width)[:, None]

    def loss(self,
             feats: Tuple[Tensor],
             batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> Dict[str, Tensor]:
        """The configured losses (see the class doc) from the labels of
        ``PIPLabel.encode``: ``keypoint_labels`` (N, K, 2) normalised to the crop,
        ``keypoint_weights`` (N, K) and optionally ``score_map_pools`` (N,) per sample."""
        self._check_inputs(feats, batch_data_samples)
        # losses in float32 also under AMP (fp16 labels would misplace the targets)
        x = self.stride_adapter(feats[-1])
        cls, off_x, off_y, nb_x, nb_y = (o.float() for o in self._maps(x))
        grid = (cls.shape[-1], cls.shape[-2])  # (W, H)
        labels = torch.cat([d.gt_instance_labels.keypoint_labels
                            for d in batch_data_samples]).to(cls)  # (B, K, 2)
        if labels.shape[1] != self.num_keypoints:
            raise InputError(f'PIPHead.loss: the data has K={labels.shape[1]} keypoints, '
                             f'the head num_keypoints={self.num_keypoints}')
        weights = torch.cat([d.gt_instance_labels.keypoint_weights
                             for d in batch_data_samples]).to(cls)  # (B, K)
        pools = self._score_map_pools(batch_data_samples)  # (B,), on the CPU
        coarse_levels = set(pools.tolist()) - {0}
        pools = pools.to(cls.device)

        own = weights * (pools == 0)[:, None]  # (B, K): the samples of the head's stride
        targets = self.decoder.grid_targets(labels, own, grid)
        cells = targets['cells']
        losses = dict(loss_cls=self.loss_module.cls(cls, targets['heatmaps'], own))
        for num_pools in range(1, max(coarse_levels, default=0) + 1):
            x = nn.functional.max_pool2d(x, 2, ceil_mode=True)
            if num_pools in coarse_levels:
                level_weights = weights * (pools == num_pools)[:, None]
                coarse = self.decoder.grid_targets(labels, level_weights, grid, num_pools)
                losses[f'loss_cls{num_pools + 1}'] = self.loss_module.cls(
                    self.cls_layer(x).float(), coarse['heatmaps'], level_weights)

        offsets = torch.stack([gather_at_cells(off_x, cells)[..., 0],
                               gather_at_cells(off_y, cells)[..., 0]], -1)  # (B, K, 2)
        nb_offsets = torch.stack([gather_at_cells(nb_x, cells),
                                  gather_at_cells(nb_y, cells)], -1)  # (B, K, C, 2)
        losses.update(
            loss_offset=self.loss_module.offset(offsets, targets['offsets'], own),
            loss_nb=self.loss_module.nb(nb_offsets, targets['nb_offsets'],
                                        targets['nb_weights']))
        return losses

    @staticmethod
    def _score_map_pools(batch_data_samples: OptSampleList) -> Tensor:
        """(B,) int64 ``gt_instance_labels.score_map_pools`` of each sample (0 if absent):
        how many 2x2 max-pools precede the score map it supervises."""
        pools = torch.cat([
            d.gt_instance_labels.get('score_map_pools',
                                     torch.zeros(len(d.gt_instance_labels.keypoint_weights),
                                                 dtype=torch.int64)).cpu()
            for d in batch_data_samples])
        if pools.is_floating_point() or bool((pools < 0).any()):
            raise InputError(f'PIPHead.loss: score_map_pools must be integers >= 0, got '
                             f'{sorted(set(pools.tolist()))}')
        return pools
