"""PIPLabel: PIPNet's target coding (section 3 of the reference) and decoding (section 5)."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmpose.codecs.base import BaseKeypointCodec
from mmpose.registry import KEYPOINT_CODECS
from torch import Tensor

from ..nrm import compute_neighbors, load_meanface, meanface_from_coco, reverse_index

ArrayLike = Union[np.ndarray, Tensor]


@KEYPOINT_CODECS.register_module()
class PIPLabel(BaseKeypointCodec):
    r"""Pixel-in-pixel coding: normalised labels in, PIP grid targets, NRM-merged decoding.

    Note:
        - instance number: N (B in a batch);  keypoint number: K;  neighbours: C
        - input size: [w, h] (pixels of the input crop);  grid: [W, H] cells of the head's
          score map (``W = w / stride``; the head's stride, so one codec serves all strides)

    Encoded by :meth:`encode` (per instance, in the data pipeline):

        - keypoint_labels (np.ndarray): (N, K, 2) keypoints normalised to the crop, [0, 1]
          inside it (points outside the crop are kept, as in the reference)
        - keypoint_weights (np.ndarray): (N, K) 1 for labelled, visible points, else 0

    Grid targets from those labels, :meth:`grid_targets` (batched, on the head's device;
    reference section 3): the cell holding each point, clamped to the grid, its in-cell
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
        num_neighbors (int): C, neighbours per point (reference: 10)
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
            raise ValueError(f'PIPLabel: meanface {meanface!r} has K={len(mean)} points but '
                             f'num_keypoints={num_keypoints}')
        if not 0 < num_neighbors < num_keypoints:
            raise ValueError(f'PIPLabel: num_neighbors={num_neighbors} must be in [1, K-1] '
                             f'for K={num_keypoints} points')
        self.meanface = mean
        self.neighbors = compute_neighbors(mean, num_neighbors)  # (K, C)
        self.rev_i, self.rev_j, self.max_len = reverse_index(self.neighbors)

    def _require_neighbors(self, caller: str) -> None:
        if self.neighbors is None:
            raise ValueError(f'PIPLabel.{caller} needs the neighbours: build the codec with '
                             f'a meanface')

    def encode(self,
               keypoints: np.ndarray,
               keypoints_visible: Optional[np.ndarray] = None) -> dict:
        """Keypoints in input-crop pixels (N, K, 2) -> normalised labels and weights."""
        if keypoints.ndim != 3 or (self.num_keypoints is not None and
                                   keypoints.shape[1] != self.num_keypoints):
            raise ValueError(f'PIPLabel.encode: keypoints of shape {keypoints.shape}, '
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

    def grid_targets(self, labels: Tensor, weights: Tensor,
                     grid_size: Tuple[int, int]) -> Dict[str, Tensor]:
        """PIP targets on a W x H grid from normalised labels (reference section 3).

        Args:
            labels: (B, K, 2) keypoints normalised to the crop
            weights: (B, K) keypoint weights (0 = not supervised)
            grid_size: (W, H) cells

        Returns:
            dict:
            - cells: (B, K) int64 flat index ``cy * W + cx`` of the point's cell,
              ``cx = clamp(floor(x * W), 0, W - 1)``
            - offsets: (B, K, 2) ``x * W - cx``, ``y * H - cy`` in cells (outside [0, 1]
              for points outside the crop)
            - nb_offsets: (B, K, C, 2) neighbour j of point i, from point i's cell, in cells
            - nb_weights: (B, K, C) weight of i times weight of its neighbour
        """
        self._require_neighbors('grid_targets')
        grid = labels.new_tensor(grid_size)
        scaled = labels * grid  # cells
        cell_xy = torch.minimum(torch.floor(scaled).clamp(min=0), grid - 1)
        neighbors = torch.as_tensor(self.neighbors, device=labels.device)
        nb_offsets = scaled[:, neighbors] - cell_xy[:, :, None]
        cells = (cell_xy[..., 1] * grid_size[0] + cell_xy[..., 0]).long()
        return dict(cells=cells,
                    offsets=scaled - cell_xy,
                    nb_offsets=nb_offsets,
                    nb_weights=weights[:, :, None] * weights[:, neighbors])

    def decode_normalized(self, cls: ArrayLike, off_x: ArrayLike, off_y: ArrayLike,
                          nb_x: ArrayLike, nb_y: ArrayLike) -> Tuple[np.ndarray, np.ndarray]:
        """Decode a batch of head outputs to merged keypoints normalised to the crop.

        The gathers run where the maps are (e.g. on the GPU); only (B, K, C) values move
        to the host.

        Args:
            cls, off_x, off_y: (B, K, H, W) raw score logits and in-cell offsets (cells)
            nb_x, nb_y: (B, K*C, H, W) neighbour offsets (cells); channel C*i+j is
                neighbour j of point i

        Returns:
            tuple: keypoints (B, K, 2) in [0, 1] (crop-normalised, after the NRM merge)
            and scores (B, K), the max raw logit of each point.
        """
        self._require_neighbors('decode_normalized')
        cls = torch.as_tensor(cls).detach()
        batch, num_points, height, width = cls.shape
        num_nb = self.num_neighbors
        scores, idx = cls.reshape(batch, num_points, -1).max(-1)  # (B, K)

        def at_max(maps: ArrayLike, per_point: int) -> np.ndarray:
            """Values of (B, K*per_point, H, W) maps at each point's argmax cell."""
            maps = torch.as_tensor(maps).detach().reshape(batch, num_points, per_point, -1)
            index = idx[:, :, None, None].expand(-1, -1, per_point, 1)
            return maps.gather(3, index)[..., 0].float().cpu().numpy()

        idx_np = idx.cpu().numpy()
        cell_x = (idx_np % width).astype(np.float32)[..., None]  # (B, K, 1)
        cell_y = (idx_np // width).astype(np.float32)[..., None]
        own = np.stack([(cell_x + at_max(off_x, 1)) / width,
                        (cell_y + at_max(off_y, 1)) / height], -1)[:, :, 0]  # (B, K, 2)
        nbs = np.stack([(cell_x + at_max(nb_x, num_nb)) / width,
                        (cell_y + at_max(nb_y, num_nb)) / height], -1)  # (B, K, C, 2)

        has_vote = (self.rev_i >= 0)  # (K, L)
        votes = nbs[:, np.maximum(self.rev_i, 0), np.maximum(self.rev_j, 0)]  # (B, K, L, 2)
        votes = votes * has_vote[None, :, :, None]
        merged = (own + votes.sum(2)) / (1 + has_vote.sum(1))[None, :, None]
        return merged.astype(np.float32), scores.float().cpu().numpy()

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
