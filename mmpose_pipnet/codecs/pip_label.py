"""PIPLabel: PIPNet's target coding and decoding (pixel-in-pixel regression with neighbour
regression and the NRM merge; Jin, Liao & Shao, IJCV 2021, arXiv 2003.03771)."""
import math
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmpose.codecs.base import BaseKeypointCodec
from mmpose.registry import KEYPOINT_CODECS
from torch import Tensor

from ..nrm import compute_neighbors, load_meanface, meanface_from_coco, reverse_index
from ..utils.errors import InputError

ArrayLike = Union[np.ndarray, Tensor]


def gather_at_cells(maps: Tensor, cells: Tensor) -> Tensor:
    """The values of per-point maps at one cell per point.

    Args:
        maps: (B, K*P, H, W), P channels per point; channel ``P*i+j`` is channel j of
            point i (P = 1: score or offset maps; P = C: neighbour offset maps)
        cells: (B, K) int64 flat cell indices ``cy * W + cx``

    Returns:
        Tensor: (B, K, P) in the maps' dtype and units
    """
    batch, num_points = cells.shape
    flat = maps.reshape(batch, num_points, -1, maps.shape[-2] * maps.shape[-1])
    return flat.gather(3, cells[:, :, None, None].expand(-1, -1, flat.shape[2], 1))[..., 0]


def pooled_grid_size(grid_size: Tuple[int, int], num_pools: int) -> Tuple[int, int]:
    """(W, H) cells after ``num_pools`` 2x2 max-pools with ``ceil_mode`` (a partial window
    at the border makes a cell): ``ceil(W / 2 ** num_pools)``, likewise H."""
    return tuple(math.ceil(side / 2 ** num_pools) for side in grid_size)


@KEYPOINT_CODECS.register_module()
class PIPLabel(BaseKeypointCodec):
    r"""Pixel-in-pixel coding: normalised labels in, PIP grid targets, NRM-merged decoding.

    Note:
        - instance number: N (B in a batch);  keypoint number: K;  neighbours: C
        - input size: [w, h] (pixels of the input crop);  grid: [W, H] cells of the head's
          score map (``W = w / stride``; the head's stride, so one codec serves all strides)

    Encoded by :meth:`encode` (per instance, in the data pipeline):

        - keypoint_labels (np.ndarray): (N, K, 2) keypoints normalised to the crop, [0, 1]
          inside it (points outside the crop are kept, as PIPNet's code does)
        - keypoint_weights (np.ndarray): (N, K) 1 for labelled, visible points, else 0

    Grid targets from those labels, :meth:`grid_targets` (batched, on the head's device):
    the one-hot score map of the cell holding each point, clamped to the grid, its in-cell
    offset and its neighbours' offsets from that cell, in cells.

    Decoded (:meth:`decode_normalized`, :meth:`batch_decode`): keypoints in input-crop
    pixels (N, K, 2) and scores (N, K) = the max raw logit of each point's score map, after
    the NRM merge (mean of the point's own prediction and its ``max_len`` neighbour votes).

    Args:
        input_size (tuple): input crop size [w, h] in pixels
        num_keypoints (int, optional): K; by default the mean face's. Checked against the
            mean face here and against the data in :meth:`encode`.
        meanface (str, optional): a built-in mean face name (``'WFLW'``, ``'300W'``,
            ``'COFW'``, ``'AFLW'``, ``'LaPa'``, ``'ytf68'``), a mean-face file (one line of
            2K floats), or a COCO-style keypoint json to compute it from. Needed for grid
            targets and decoding (the neighbours); a pipeline's encoder, which only
            normalises labels, may leave it out.
        num_neighbors (int): C, neighbours per point (the paper's default: 10)
    """

    label_mapping_table = dict(
        keypoint_labels='keypoint_labels',
        keypoint_weights='keypoint_weights',
    )

    def __init__(self,
                 input_size: Tuple[int, int],
                 num_keypoints: Optional[int] = None,
                 meanface: Optional[str] = None,
                 num_neighbors: int = 10) -> None:
        super().__init__()
        self.input_size = tuple(input_size)
        self.num_keypoints = num_keypoints
        self.num_neighbors = num_neighbors
        self.meanface = self.neighbors = self.rev_i = self.rev_j = self.max_len = None
        if meanface is None:
            return
        mean = meanface_from_coco(meanface) if str(meanface).endswith('.json') else \
            load_meanface(meanface)
        if num_keypoints is None:
            self.num_keypoints = num_keypoints = len(mean)
        if len(mean) != num_keypoints:
            raise InputError(f'PIPLabel: meanface {meanface!r} has K={len(mean)} points but '
                             f'num_keypoints={num_keypoints}')
        if not 0 < num_neighbors < num_keypoints:
            raise InputError(f'PIPLabel: num_neighbors={num_neighbors} must be in [1, K-1] '
                             f'for K={num_keypoints} points')
        self.meanface = mean
        self.neighbors = compute_neighbors(mean, num_neighbors)  # (K, C)
        self.rev_i, self.rev_j, self.max_len = reverse_index(self.neighbors)

    def _require_neighbors(self, caller: str) -> None:
        if self.neighbors is None:
            raise InputError(f'PIPLabel.{caller} needs the neighbours: build the codec with '
                             f'a meanface')

    def encode(self,
               keypoints: np.ndarray,
               keypoints_visible: Optional[np.ndarray] = None) -> dict:
        """Keypoints in input-crop pixels (N, K, 2) -> normalised labels and weights."""
        if keypoints.ndim != 3 or (self.num_keypoints is not None and
                                   keypoints.shape[1] != self.num_keypoints):
            raise InputError(f'PIPLabel.encode: keypoints of shape {keypoints.shape}, '
                             f'expected (N, {self.num_keypoints or "K"}, 2): the dataset '
                             f'and the codec disagree on K')
        if keypoints_visible is None:
            keypoints_visible = np.ones(keypoints.shape[:2], dtype=np.float32)
        labels = (keypoints[..., :2] / np.array(self.input_size, np.float32)).astype(
            np.float32)
        finite = np.isfinite(labels).all(-1)
        weights = ((keypoints_visible > 0.5) & finite).astype(np.float32)
        return dict(keypoint_labels=np.where(finite[..., None], labels, 0).astype(np.float32),
                    keypoint_weights=weights)

    def grid_targets(self, labels: Tensor, weights: Tensor, grid_size: Tuple[int, int],
                     num_pools: int = 0) -> Dict[str, Tensor]:
        """PIP targets on the W x H grid, or on that grid max-pooled 2x2 ``num_pools`` times
        (with ``ceil_mode``: ``(W', H') = pooled_grid_size(grid_size, num_pools)``).

        A pooled cell covers ``2 ** num_pools`` cells of the grid, so the grid holds
        ``s = W / 2 ** num_pools`` of them per crop width (``W'`` = ceil(s): the last one
        partial); likewise ``t`` for H.

        Args:
            labels: (B, K, 2) keypoints normalised to the crop
            weights: (B, K) keypoint weights (0 = not supervised)
            grid_size: (W, H) cells of the head's score map
            num_pools: 2x2 max-pools after the head's grid (0: the grid itself)

        Returns:
            dict:
            - cells: (B, K) int64 flat index ``cy * W' + cx`` of the point's cell,
              ``cx = clamp(floor(x * s), 0, W' - 1)``
            - heatmaps: (B, K, H', W') one-hot score-map targets at ``cells``, labels' dtype
            - offsets: (B, K, 2) ``x * s - cx``, ``y * t - cy`` in (pooled) cells (outside
              [0, 1] for points outside the crop)
            - nb_offsets: (B, K, C, 2) neighbour j of point i, from point i's cell, in cells
            - nb_weights: (B, K, C) weight of i times weight of its neighbour
        """
        self._require_neighbors('grid_targets')
        pooled = pooled_grid_size(grid_size, num_pools)
        size = labels.new_tensor(grid_size) / 2 ** num_pools  # cells per crop side
        scaled = labels * size  # cells
        cell_xy = torch.minimum(torch.floor(scaled).clamp(min=0),
                                labels.new_tensor(pooled) - 1)
        neighbors = torch.as_tensor(self.neighbors, device=labels.device)
        nb_offsets = scaled[:, neighbors] - cell_xy[:, :, None]
        cells = (cell_xy[..., 1] * pooled[0] + cell_xy[..., 0]).long()
        batch, num_points = cells.shape
        heatmaps = labels.new_zeros(batch, num_points, pooled[0] * pooled[1]).scatter_(
            2, cells[..., None], 1.0).reshape(batch, num_points, pooled[1], pooled[0])
        return dict(cells=cells,
                    heatmaps=heatmaps,
                    offsets=scaled - cell_xy,
                    nb_offsets=nb_offsets,
                    nb_weights=weights[:, :, None] * weights[:, neighbors])

    def decode_tensors(self, cls: Tensor, off_x: Tensor, off_y: Tensor, nb_x: Tensor,
                       nb_y: Tensor) -> Tuple[Tensor, Tensor]:
        """Decode a batch of head outputs to merged keypoints, in torch on the maps' device.

        Pure tensor operations (argmax, gathers, the NRM merge by a fixed index), so the
        same code runs eagerly and inside an exported ONNX graph.

        Args:
            cls, off_x, off_y: (B, K, H, W) raw score logits and in-cell offsets (cells)
            nb_x, nb_y: (B, K*C, H, W) neighbour offsets (cells); channel C*i+j is
                neighbour j of point i

        Returns:
            tuple: keypoints (B, K, 2) float32 normalised to the crop ([0, 1] inside it,
            after the NRM merge) and scores (B, K), the max raw logit of each point.
        """
        self._require_neighbors('decode_tensors')
        batch, num_points, height, width = cls.shape
        num_nb = self.num_neighbors
        scores, idx = cls.flatten(2).max(-1)  # (B, K)
        cell = torch.stack([idx % width, torch.div(idx, width, rounding_mode='floor')],
                           -1).float()[:, :, None]  # (B, K, 1, 2)
        grid = cls.new_tensor([width, height]).float()
        own = (cell[:, :, 0] + torch.stack([gather_at_cells(off_x, idx)[..., 0],
                                            gather_at_cells(off_y, idx)[..., 0]],
                                           -1).float()) / grid
        nbs = (cell + torch.stack([gather_at_cells(nb_x, idx), gather_at_cells(nb_y, idx)],
                                  -1).float()) / grid  # (B, K, C, 2)
        # votes for point k: neighbour rev_j[k, l] of point rev_i[k, l]; -1 pads
        has_vote = torch.as_tensor(self.rev_i >= 0, device=cls.device)  # (K, L)
        flat = torch.as_tensor(np.maximum(self.rev_i, 0) * num_nb + np.maximum(self.rev_j, 0),
                               device=cls.device)
        votes = nbs.reshape(batch, num_points * num_nb, 2)[:, flat.reshape(-1)]
        votes = votes.reshape(batch, num_points, -1, 2) * has_vote[None, :, :, None]
        count = 1 + has_vote.sum(1).float()
        return (own + votes.sum(2)) / count[None, :, None], scores

    def decode_normalized(self, cls: ArrayLike, off_x: ArrayLike, off_y: ArrayLike,
                          nb_x: ArrayLike, nb_y: ArrayLike) -> Tuple[np.ndarray, np.ndarray]:
        """:meth:`decode_tensors` of arrays or tensors (run where the maps are), as numpy:
        keypoints (B, K, 2) normalised to the crop and scores (B, K)."""
        with torch.no_grad():
            coords, scores = self.decode_tensors(*[torch.as_tensor(m) for m in
                                                   (cls, off_x, off_y, nb_x, nb_y)])
        return coords.cpu().numpy().astype(np.float32), scores.float().cpu().numpy()

    def to_input_pixels(self, coords: np.ndarray) -> np.ndarray:
        """Crop-normalised coordinates (..., 2) -> pixels of the input crop."""
        return coords * np.array(self.input_size, dtype=np.float32)

    def batch_decode(self, cls: ArrayLike, off_x: ArrayLike, off_y: ArrayLike,
                     nb_x: ArrayLike, nb_y: ArrayLike
                     ) -> Tuple[List[np.ndarray], List[np.ndarray]]:
        """Decode a batch: lists of keypoints (1, K, 2) in input-crop pixels and scores
        (1, K), one entry per sample (the shape MMPose's heads return)."""
        coords, scores = self.decode_normalized(cls, off_x, off_y, nb_x, nb_y)
        return list(self.to_input_pixels(coords)[:, None]), list(scores[:, None])

    def decode(self, encoded: Sequence[np.ndarray]) -> Tuple[np.ndarray, np.ndarray]:
        """Decode one sample's (cls, off_x, off_y, nb_x, nb_y), each (K or K*C, H, W), to
        keypoints (1, K, 2) in input-crop pixels and scores (1, K)."""
        keypoints, scores = self.batch_decode(*[np.asarray(m)[None] for m in encoded])
        return keypoints[0], scores[0]
