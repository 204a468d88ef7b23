"""Mean face and neighbour indices for PIPNet's neighbour regression module (NRM).

Pure numpy; the single source of truth for the codec, the head and the tools.
A mean face is (K, 2), normalised to a face box: the reference files to their crop,
:func:`meanface_from_coco` to the annotation box. Only distance rankings are used, which
a box's scale and offset do not change.
"""
import json
import os.path as osp
from typing import Tuple

import numpy as np

from .utils.errors import InputError

#: Mean faces shipped with the package (from the reference implementation, plus ytf68).
BUILTIN_MEANFACES = ('WFLW', '300W', 'COFW', 'AFLW', 'LaPa', 'ytf68')
_MEANFACE_DIR = osp.join(osp.dirname(__file__), 'meanfaces')


def meanface_path(name_or_path: str) -> str:
    """Path of a built-in mean face (case-insensitive name, e.g. ``'wflw'``) or a file."""
    for name in BUILTIN_MEANFACES:
        if name_or_path.lower() == name.lower():
            return osp.join(_MEANFACE_DIR, f'{name}.txt')
    if not osp.isfile(name_or_path):
        raise FileNotFoundError(
            f'meanface {name_or_path!r}: neither a built-in mean face '
            f'{BUILTIN_MEANFACES} nor an existing file')
    return name_or_path


def load_meanface(name_or_path: str) -> np.ndarray:
    """Load a mean face file: one line of 2K floats ``x0 y0 x1 y1 ...`` in [0, 1].

    Returns:
        np.ndarray: (K, 2) float64, normalised to the crop.
    """
    path = meanface_path(name_or_path)
    try:
        values = np.loadtxt(path, dtype=np.float64).reshape(-1)
    except ValueError as err:
        raise InputError(f'meanface file {path}: expected whitespace-separated floats '
                         f'({err})') from None
    if values.size == 0 or values.size % 2:
        raise InputError(f'meanface file {path}: expected 2K floats (x0 y0 x1 y1 ...), '
                         f'got {values.size}')
    return values.reshape(-1, 2)


def save_meanface(meanface: np.ndarray, path: str) -> None:
    """Write a (K, 2) mean face as one line of 2K floats (the reference's format)."""
    np.savetxt(path, np.asarray(meanface, dtype=np.float64).reshape(1, -1), fmt='%.6f')


def meanface_from_coco(ann_file: str) -> np.ndarray:
    """Mean face of a COCO-style keypoint file: every face's points normalised to its box.

    Each face's box is ``bbox`` ([x, y, w, h]); points are mapped to ``(p - xy) / wh``
    and averaged over faces, per point, using only labelled points (v > 0).

    Returns:
        np.ndarray: (K, 2) float64 in box-normalised units.
    """
    with open(ann_file) as f:
        anns = json.load(f).get('annotations', [])
    anns = [a for a in anns if a.get('num_keypoints', 1) > 0 and 'keypoints' in a]
    if not anns:
        raise InputError(f'{ann_file}: no annotations with keypoints')
    try:
        kpts = np.array([a['keypoints'] for a in anns], dtype=np.float64).reshape(
            len(anns), -1, 3)
        boxes = np.array([a['bbox'] for a in anns], dtype=np.float64).reshape(len(anns), 4)
    except (KeyError, ValueError) as err:
        raise InputError(f'{ann_file}: every annotation needs "keypoints" (K x [x, y, v], '
                         f'the same K) and "bbox" [x, y, w, h] ({err!r})') from None
    if (boxes[:, 2:] <= 0).any():
        raise InputError(f'{ann_file}: every annotation needs a bbox [x, y, w, h] with w, h > 0')
    norm = (kpts[..., :2] - boxes[:, None, :2]) / boxes[:, None, 2:]
    valid = (kpts[..., 2] > 0)[..., None]
    count = valid.sum(axis=0)
    if (count == 0).any():
        missing = np.flatnonzero(count[:, 0] == 0).tolist()
        raise InputError(f'{ann_file}: points {missing} are never labelled')
    return (norm * valid).sum(axis=0) / count


def compute_neighbors(meanface: np.ndarray, num_nb: int) -> np.ndarray:
    """The ``num_nb`` nearest other landmarks of each landmark in the mean face.

    Args:
        meanface: (K, 2) normalised mean face.
        num_nb: C, neighbours per landmark; must be < K.

    Returns:
        np.ndarray: (K, C) int64, row i = neighbours of i, nearest first (stable argsort of
        squared distance with i itself excluded, as in the reference).
    """
    num_points = len(meanface)
    if not 0 < num_nb < num_points:
        raise InputError(f'num_nb={num_nb} must be in [1, K-1] for a mean face of '
                         f'K={num_points} points')
    d2 = ((meanface[:, None, :] - meanface[None, :, :]) ** 2).sum(-1)
    order = np.argsort(d2, axis=1, kind='stable')
    # drop i itself (distance 0; the reference drops the first of the argsort, which is i
    # unless two mean-face points coincide)
    not_self = order != np.arange(num_points)[:, None]
    return order[not_self].reshape(num_points, num_points - 1)[:, :num_nb]


def reverse_index(neighbors: np.ndarray) -> Tuple[np.ndarray, np.ndarray, int]:
    """For each landmark k, the (i, j) with ``neighbors[i, j] == k``, padded cyclically.

    Every list is repeated and cut at ``max_len`` (the longest list), as in the reference.
    A landmark that is no one's neighbour gets an empty list in the reference; here its
    row holds -1 (the decoder then uses its own prediction only).

    Returns:
        tuple: ``rev_i`` (K, max_len) int64, ``rev_j`` (K, max_len) int64, ``max_len``.
    """
    num_points, num_nb = neighbors.shape
    flat = neighbors.reshape(-1)
    order = np.argsort(flat, kind='stable')  # groups (i, j) by target k, in (i, j) order
    counts = np.bincount(flat, minlength=num_points)
    max_len = int(counts.max())
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slot = np.arange(max_len)[None, :] % np.maximum(counts, 1)[:, None]
    pos = order[np.minimum(starts[:, None] + slot, flat.size - 1)]
    pos = np.where(counts[:, None] > 0, pos, -1)
    rev_i = np.where(pos >= 0, pos // num_nb, -1)
    rev_j = np.where(pos >= 0, pos % num_nb, -1)
    return rev_i, rev_j, max_len
