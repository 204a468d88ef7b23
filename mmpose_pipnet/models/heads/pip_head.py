"""PIPHead: PIPNet's prediction head (score map, offsets, neighbour offsets) and loss."""
import math
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.structures import InstanceData, PixelData
from mmpose.models.heads.base_head import BaseHead
from mmpose.models.utils.tta import flip_coordinates
from mmpose.registry import KEYPOINT_CODECS, MODELS
from mmpose.utils.typing import ConfigType, Features, OptConfigType, OptSampleList
from torch import Tensor, nn

from ...utils.errors import InputError

#: Score-map loss weight by stride (reference section 4).
CLS_WEIGHT_BY_STRIDE = {16: 50.0, 32: 10.0, 64: 8.0, 128: 4.0}
#: STC tasks (reference section 8) -> how many 2x2 max-pools precede the score map.
STC_TASK_POOLS = {'std': 0, 'cls2': 1, 'cls3': 2}


def build_stride_adapter(channels: int, backbone_stride: int, stride: int) -> nn.Sequential:
    """The reference's extra layers that move the backbone's stride to the head's.

    Half the stride: ConvTranspose2d(k4, s2, p1, no bias) + BN + ReLU. Each doubling:
    Conv2d(k3, s2, p1) + BN + ReLU. Equal strides: no layer. Channels are kept (as the
    reference's ResNet-18 layers; its ResNet-50/101 ones narrow to 512 channels but then
    feed 2048-channel convs, and cannot run).
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


@MODELS.register_module()
class PIPHead(BaseHead):
    """Pixel-in-pixel head: five parallel 1x1 convs on the last feature map.

    Outputs, for a (B, in_channels, h, w) feature map moved to the head's stride
    (grid H x W cells):

        - cls: (B, K, H, W) raw score logits (no sigmoid, as in the reference)
        - off_x, off_y: (B, K, H, W) in-cell offsets, in cells
        - nb_x, nb_y: (B, K*C, H, W) neighbour offsets from the point's cell, in cells;
          channel C*i+j is neighbour j of point i

    Loss (reference section 4), with points whose ``keypoint_weights`` is 0 masked out:
    ``loss_cls = w_cls * MSE(cls, one-hot map)`` averaged over the valid points' maps, and
    ``loss_offset + loss_nb = w_reg * (L1(x) + L1(y) + L1(nb_x) + L1(nb_y))``, each an L1
    mean over the valid points (neighbours: valid when both ends are) at the ground-truth
    cell. With every point valid this equals the reference loss.

    Self-training (STC, reference section 8): a sample whose metainfo ``stc_task`` is
    ``'cls2'`` or ``'cls3'`` (set by :class:`STCTaskDataset` on pseudo-labelled data)
    supervises only the score map of the feature map max-pooled 2x2 once (stride x2) or
    twice (stride x4), through the same ``cls_layer``; ``'std'`` (the default) supervises
    everything at the head's stride. Each term is a mean over its own valid samples, so a
    batch of ``std`` samples gives the plain loss and the keys ``loss_cls2`` /
    ``loss_cls3`` appear only when such samples are in the batch. Pooling uses
    ``ceil_mode`` so a 6x6 grid gives 3x3 and 2x2 maps (the reference's 8x8: 4x4, 2x2).

    Args:
        in_channels (int): channels of the backbone's last feature map
        num_keypoints (int): K
        decoder (dict): a ``PIPLabel`` codec config (input size, C, the mean face)
        stride (int): input pixels per score-map cell: 32 (the reference's default, no
            extra layer), 16, 64 or 128. The grid is ``input_size / stride``.
        backbone_stride (int): stride of the backbone's last feature map. Default 32.
        loss_cls_weight (float, optional): w_cls; by default 50/10/8/4 for stride
            16/32/64/128 (the reference's values)
        loss_reg_weight (float): w_reg. Default 1.
        init_cfg: default: the reference's normal(std=0.001) for convs, bias 0
    """

    def __init__(self,
                 in_channels: int,
                 num_keypoints: int,
                 decoder: ConfigType,
                 stride: int = 32,
                 backbone_stride: int = 32,
                 loss_cls_weight: Optional[float] = None,
                 loss_reg_weight: float = 1.0,
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
        if loss_cls_weight is None:
            if self.stride not in CLS_WEIGHT_BY_STRIDE:
                raise InputError(f'PIPHead: no reference loss_cls_weight for stride '
                                 f'{self.stride}; set loss_cls_weight')
            loss_cls_weight = CLS_WEIGHT_BY_STRIDE[self.stride]
        self.loss_cls_weight = loss_cls_weight
        self.loss_reg_weight = loss_reg_weight

        self.stride_adapter = build_stride_adapter(in_channels, backbone_stride, self.stride)
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

        With ``test_cfg['flip_test']`` (off by default, as in the reference), ``feats`` is
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
        """Masked PIPNet loss (see class doc) from the labels of ``PIPLabel.encode``."""
        self._check_inputs(feats, batch_data_samples)
        # losses in float32 also under AMP (fp16 labels would misplace the targets)
        x = self.stride_adapter(feats[-1])
        cls, off_x, off_y, nb_x, nb_y = (o.float() for o in self._maps(x))
        batch, num_points, height, width = cls.shape
        num_nb = self.num_neighbors
        labels = torch.cat([d.gt_instance_labels.keypoint_labels
                            for d in batch_data_samples]).to(cls)  # (B, K, 2)
        if labels.shape[1] != num_points:
            raise InputError(f'PIPHead.loss: the data has K={labels.shape[1]} keypoints, '
                             f'the head num_keypoints={num_points}')
        weights = torch.cat([d.gt_instance_labels.keypoint_weights
                             for d in batch_data_samples]).to(cls)  # (B, K)
        pools = self._stc_pools(batch_data_samples).to(cls.device)  # (B,)
        coarse_weights = {n: weights * (pools == n)[:, None] for n in (1, 2)
                          if bool((pools == n).any())}
        weights = weights * (pools == 0)[:, None]
        targets = self.decoder.grid_targets(labels, weights, (width, height))
        cells, offsets = targets['cells'], targets['offsets']
        nb_offsets, nb_weights = targets['nb_offsets'], targets['nb_weights']

        losses = dict(loss_cls=self.loss_cls_weight * self._masked_cls_loss(cls, cells,
                                                                            weights))
        if coarse_weights:
            for num_pools in (1, 2):
                x = nn.functional.max_pool2d(x, 2, ceil_mode=True)
                if num_pools in coarse_weights:
                    coarse_cls = self.cls_layer(x).float()
                    coarse_cells = self._coarse_cells(labels, (width, height), num_pools,
                                                      coarse_cls.shape[-1])
                    losses[f'loss_cls{num_pools + 1}'] = self.loss_cls_weight * \
                        self._masked_cls_loss(coarse_cls, coarse_cells,
                                              coarse_weights[num_pools])

        def at_cell(maps: Tensor, per_point: int) -> Tensor:
            maps = maps.reshape(batch, num_points, per_point, height * width)
            index = cells[:, :, None, None].expand(-1, -1, per_point, 1)
            return maps.gather(3, index)[..., 0]  # (B, K, per_point)

        def masked_l1(pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
            return ((pred - target).abs() * mask).sum() / mask.sum().clamp(min=1)

        loss_offset = (masked_l1(at_cell(off_x, 1)[..., 0], offsets[..., 0], weights) +
                       masked_l1(at_cell(off_y, 1)[..., 0], offsets[..., 1], weights))
        loss_nb = (masked_l1(at_cell(nb_x, num_nb), nb_offsets[..., 0], nb_weights) +
                   masked_l1(at_cell(nb_y, num_nb), nb_offsets[..., 1], nb_weights))
        losses.update(loss_offset=self.loss_reg_weight * loss_offset,
                      loss_nb=self.loss_reg_weight * loss_nb)
        return losses

    @staticmethod
    def _stc_pools(batch_data_samples: OptSampleList) -> Tensor:
        """(B,) number of 2x2 max-pools before each sample's supervised score map."""
        tasks = [d.metainfo.get('stc_task', 'std') for d in batch_data_samples]
        unknown = set(tasks) - set(STC_TASK_POOLS)
        if unknown:
            raise InputError(f'PIPHead.loss: unknown stc_task {sorted(unknown)}; expected '
                             f'one of {list(STC_TASK_POOLS)}')
        return torch.tensor([STC_TASK_POOLS[t] for t in tasks])

    @staticmethod
    def _masked_cls_loss(cls: Tensor, cells: Tensor, weights: Tensor) -> Tensor:
        """MSE of raw logits (B, K, H, W) against one-hot maps at ``cells`` (B, K) (flat
        indices), averaged over the maps of points with weight 1 (weights (B, K))."""
        batch, num_points, height, width = cls.shape
        flat_cls = cls.reshape(batch, num_points, height * width)
        target = torch.zeros_like(flat_cls).scatter_(2, cells[..., None], 1.0)
        cls_err = ((flat_cls - target) ** 2).mean(-1)  # (B, K)
        return (cls_err * weights).sum() / weights.sum().clamp(min=1)

    @staticmethod
    def _coarse_cells(labels: Tensor, grid: Tuple[int, int], num_pools: int,
                      coarse_width: int) -> Tensor:
        """Flat cell indices (B, K) on the grid after ``num_pools`` ceil-mode 2x2 pools.

        Args:
            labels: (B, K, 2) keypoints normalised to the crop
            grid: (W, H) cells of the head's own grid
            num_pools: 1 or 2; a coarse cell spans ``2 ** num_pools`` head cells
            coarse_width: columns of the pooled grid, ``ceil(W / 2 ** num_pools)``
        """
        size = labels.new_tensor(grid) / 2 ** num_pools  # coarse cells per crop side
        limit = torch.ceil(size) - 1
        cell = torch.minimum(torch.floor(labels * size).clamp(min=0), limit).long()
        return cell[..., 1] * coarse_width + cell[..., 0]
