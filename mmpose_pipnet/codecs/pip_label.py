"""PIPLabel: PIPNet's target coding (section 3 of the reference) and decoding (section 5)."""
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmpose.codecs.base import BaseKeypointCodec
from mmpose.registry import KEYPOINT_CODECS
from torch import Tensor

from ..nrm import compute_neighbors, load_meanface, meanface_from_coco, reverse_index

ArrayLike = Union[np.ndarray, Tensor]


def _to_numpy(x: ArrayLike) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.detach().float().cpu().numpy()
    return np.asarray(x, dtype=np.float32)


@KEYPOINT_CODECS.register_module()
class PIPLabel(BaseKeypointCodec):
    r"""Pixel-in-pixel labels: a grid cell, the in-cell offset and neighbour offsets.

    Note:
        - instance number: N;  keypoint number: K;  neighbour number: C
        - input size: [w, h] (pixels of the input crop);  grid: [W, H] cells,
          ``W = w / stride``
        - one cell is ``w / W`` input pixels

    Encoded (per instance; coordinates ``x`` normalised to the crop, ``x * W`` in cells):

        - keypoint_labels (np.ndarray): (N, K, 2) keypoints normalised to [0, 1]
        - keypoint_weights (np.ndarray): (N, K) 1 for labelled, visible points, else 0
        - pip_cells (np.ndarray): (N, K) int64 flat index ``cy * W + cx`` of the cell
          holding the point, clamped to the grid (points outside the crop stay, on the
          border cell, with an offset outside [0, 1], as in the reference)
        - pip_offsets (np.ndarray): (N, K, 2) ``x * W - cx``, ``y * H - cy`` in cells
        - pip_nb_offsets (np.ndarray): (N, K, C, 2) the offsets of neighbour j of point i
          from point i's cell, in cells
        - pip_nb_weights (np.ndarray): (N, K, C) weight of i times weight of its neighbour

    Decoded: keypoints in input-crop pixels (N, K, 2), scores (N, K) = the max raw logit
    of each point's score map, after the NRM merge (mean of the point's own prediction and
    its ``max_len`` neighbour votes).

    Args:
        input_size (tuple): input crop size [w, h] in pixels
        heatmap_size (tuple): grid size [W, H] in cells (input_size / stride)
        num_keypoints (int): K; must match the mean face
        num_neighbors (int): C, neighbours per point (reference: 10)
        meanface (str): a built-in mean face name (``'WFLW'``, ``'300W'``, ``'COFW'``,
            ``'AFLW'``, ``'LaPa'``, ``'ytf68'``), a mean-face file (one line of 2K floats),
            or a COCO-style keypoint json to compute it from
    """

    label_mapping_table = dict(
        keypoint_labels='keypoint_labels',
        keypoint_weights='keypoint_weights',
        pip_cells='pip_cells',
        pip_offsets='pip_offsets',
        pip_nb_offsets='pip_nb_offsets',
        pip_nb_weights='pip_nb_weights',
    )

    def __init__(self,
                 input_size: Tuple[int, int],
                 heatmap_size: Tuple[int, int],
                 num_keypoints: int,
                 meanface: str,
                 num_neighbors: int = 10) -> None:
        super().__init__()
        self.input_size = tuple(input_size)
        self.heatmap_size = tuple(heatmap_size)
        for axis in range(2):
            if self.input_size[axis] % self.heatmap_size[axis]:
                raise ValueError(f'PIPLabel: input_size {self.input_size} is not a multiple '
                                 f'of heatmap_size {self.heatmap_size}')
        self.num_keypoints = num_keypoints
        self.num_neighbors = num_neighbors
        if str(meanface).endswith('.json'):
            mean = meanface_from_coco(meanface)
        else:
            mean = load_meanface(meanface)
        if len(mean) != num_keypoints:
            raise ValueError(f'PIPLabel: meanface {meanface!r} has K={len(mean)} points but '
                             f'num_keypoints={num_keypoints}')
        if not 0 < num_neighbors < num_keypoints:
            raise ValueError(f'PIPLabel: num_neighbors={num_neighbors} must be in [1, K-1] '
                             f'for K={num_keypoints} points')
        self.meanface = mean
        self.neighbors = compute_neighbors(mean, num_neighbors)  # (K, C)
        self.rev_i, self.rev_j, self.max_len = reverse_index(self.neighbors)

    @property
    def stride(self) -> int:
        """Input pixels per cell."""
        return self.input_size[0] // self.heatmap_size[0]

    def encode(self,
               keypoints: np.ndarray,
               keypoints_visible: Optional[np.ndarray] = None) -> dict:
        """Encode keypoints in input-crop pixels (N, K, 2) into PIP labels (see class doc)."""
        if keypoints.ndim != 3 or keypoints.shape[1] != self.num_keypoints:
            raise ValueError(f'PIPLabel.encode: keypoints of shape {keypoints.shape}, '
                             f'expected (N, {self.num_keypoints}, 2): the dataset and the '
                             f'codec disagree on K')
        if keypoints_visible is None:
            keypoints_visible = np.ones(keypoints.shape[:2], dtype=np.float32)
        size = np.array(self.input_size, dtype=np.float32)
        grid = np.array(self.heatmap_size, dtype=np.float32)

        labels = (keypoints[..., :2] / size).astype(np.float32)  # (N, K, 2) in [0, 1]
        weights = ((keypoints_visible > 0.5) & np.isfinite(labels).all(-1)).astype(np.float32)
        labels = np.nan_to_num(labels)
        scaled = labels * grid  # cells
        cell_xy = np.clip(np.floor(scaled), 0, grid - 1)  # (N, K, 2)
        offsets = scaled - cell_xy
        nb_offsets = scaled[:, self.neighbors] - cell_xy[:, :, None]  # (N, K, C, 2)
        nb_weights = weights[:, :, None] * weights[:, self.neighbors]
        cells = (cell_xy[..., 1] * self.heatmap_size[0] + cell_xy[..., 0]).astype(np.int64)

        return dict(
            keypoint_labels=labels,
            keypoint_weights=weights,
            pip_cells=cells,
            pip_offsets=offsets.astype(np.float32),
            pip_nb_offsets=nb_offsets.astype(np.float32),
            pip_nb_weights=nb_weights.astype(np.float32))

    def decode_normalized(self, cls: ArrayLike, off_x: ArrayLike, off_y: ArrayLike,
                          nb_x: ArrayLike, nb_y: ArrayLike) -> Tuple[np.ndarray, np.ndarray]:
        """Decode a batch of head outputs to merged keypoints normalised to the crop.

        Args:
            cls, off_x, off_y: (B, K, H, W) raw score logits and in-cell offsets (cells)
            nb_x, nb_y: (B, K*C, H, W) neighbour offsets (cells); channel C*i+j is
                neighbour j of point i

        Returns:
            tuple: keypoints (B, K, 2) in [0, 1] (crop-normalised, after the NRM merge)
            and scores (B, K), the max raw logit of each point.
        """
        cls = _to_numpy(cls)
        batch, num_points, height, width = cls.shape
        num_nb = self.num_neighbors
        flat = cls.reshape(batch, num_points, -1)
        idx = flat.argmax(-1)  # (B, K)
        scores = np.take_along_axis(flat, idx[..., None], -1)[..., 0]

        def at_max(maps: ArrayLike, per_point: int) -> np.ndarray:
            """Values of (B, K*per_point, H, W) maps at each point's argmax cell."""
            maps = _to_numpy(maps).reshape(batch, num_points, per_point, height * width)
            return np.take_along_axis(maps, idx[:, :, None, None], -1)[..., 0]

        cell_x = (idx % width).astype(np.float32)[..., None]  # (B, K, 1)
        cell_y = (idx // width).astype(np.float32)[..., None]
        own = np.stack([(cell_x + at_max(off_x, 1)) / width,
                        (cell_y + at_max(off_y, 1)) / height], -1)[:, :, 0]  # (B, K, 2)
        nbs = np.stack([(cell_x + at_max(nb_x, num_nb)) / width,
                        (cell_y + at_max(nb_y, num_nb)) / height], -1)  # (B, K, C, 2)

        has_vote = (self.rev_i >= 0)  # (K, L)
        votes = nbs[:, np.maximum(self.rev_i, 0), np.maximum(self.rev_j, 0)]  # (B, K, L, 2)
        votes = votes * has_vote[None, :, :, None]
        merged = (own + votes.sum(2)) / (1 + has_vote.sum(1))[None, :, None]
        return merged.astype(np.float32), scores.astype(np.float32)

    def batch_decode(self, cls: ArrayLike, off_x: ArrayLike, off_y: ArrayLike,
                     nb_x: ArrayLike, nb_y: ArrayLike
                     ) -> Tuple[List[np.ndarray], List[np.ndarray]]:
        """Decode a batch: lists of keypoints (1, K, 2) in input-crop pixels and scores
        (1, K), one entry per sample (the shape MMPose's heads return)."""
        coords, scores = self.decode_normalized(cls, off_x, off_y, nb_x, nb_y)
        keypoints = coords * np.array(self.input_size, dtype=np.float32)
        return list(keypoints[:, None]), list(scores[:, None])

    def decode(self, encoded: Sequence[np.ndarray]) -> Tuple[np.ndarray, np.ndarray]:
        """Decode one sample's (cls, off_x, off_y, nb_x, nb_y), each (K or K*C, H, W), to
        keypoints (1, K, 2) in input-crop pixels and scores (1, K)."""
        keypoints, scores = self.batch_decode(*[np.asarray(m)[None] for m in encoded])
        return keypoints[0], scores[0]
