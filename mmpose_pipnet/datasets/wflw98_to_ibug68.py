"""WFLW's 98 landmarks -> the 68 iBUG / 300W points, for annotations and predictions.

WFLW (Wu et al., CVPR 2018) numbers its 98 points, in image orientation (the subject's
right side on the image's left):

======  ==================================================================
0-32    jaw contour, image left to right (16: chin)
33-41   left brow: 33-37 upper edge outer -> inner, 38-41 lower edge back
42-50   right brow: 42-46 upper edge inner -> outer, 47-50 lower edge back
51-54   nose bridge, top -> tip (54)
55-59   nostril base, left -> right (57: under the tip)
60-67   left eye: 60 outer corner, 61-63 upper lid, 64 inner corner, 65-67 lower lid
68-75   right eye: 68 inner corner, 69-71 upper lid, 72 outer corner, 73-75 lower lid
76-87   outer lip, 76 left corner, clockwise (82: right corner)
88-95   inner lip, 88 left corner, clockwise (92: right corner)
96, 97  pupils
======  ==================================================================

iBUG 68 keeps 17 jaw points (every second WFLW one), only the upper brow edge, 6 points
per eye (corners plus the two lid points either side of the middle one) and the same lips.
:data:`WFLW98_TO_IBUG68` is that index table: ``ibug68[j] = wflw98[WFLW98_TO_IBUG68[j]]``.
It maps MMPose's WFLW flip pairs onto its 300W flip pairs (checked in the tests), so a
mirrored WFLW face converts to the mirrored iBUG face.
"""
import json
from typing import Dict

import numpy as np

from ..utils.errors import InputError
from ..utils.files import dump_json_atomically

#: ``WFLW98_TO_IBUG68[j]`` is the WFLW index of iBUG point ``j`` (68 entries).
WFLW98_TO_IBUG68 = np.array([
    # jaw 0-16: WFLW contour, every second point
    0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32,
    # brows 17-21 (left, outer -> inner), 22-26 (right, inner -> outer): upper edges
    33, 34, 35, 36, 37,
    42, 43, 44, 45, 46,
    # nose bridge 27-30 (30: tip), nostril base 31-35
    51, 52, 53, 54,
    55, 56, 57, 58, 59,
    # left eye 36-41: outer corner, upper lid x2, inner corner, lower lid x2
    60, 61, 63, 64, 65, 67,
    # right eye 42-47: inner corner, upper lid x2, outer corner, lower lid x2
    68, 69, 71, 72, 73, 75,
    # outer lip 48-59, inner lip 60-67
    76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87,
    88, 89, 90, 91, 92, 93, 94, 95,
], dtype=np.int64)
assert len(WFLW98_TO_IBUG68) == 68 and len(set(WFLW98_TO_IBUG68.tolist())) == 68


def wflw98_to_ibug68(points: np.ndarray) -> np.ndarray:
    """The 68 iBUG points of WFLW points: ``(..., 98, C) -> (..., 68, C)``.

    Args:
        points: (N, 98, 2) pixel coordinates (annotations or predictions); any leading
            shape, e.g. (98, 2) for one face, and any channels on the last axis, e.g.
            (N, 98, 3) x, y, visibility or (N, 98, 1) scores

    Returns:
        np.ndarray: (N, 68, 2) (the same leading shape, channels, dtype and units), a
            copy
    """
    points = np.asarray(points)
    if points.ndim < 2 or points.shape[-2] != 98:
        raise InputError(f'expected (N, 98, 2) WFLW landmarks, got shape {points.shape}')
    return points[..., WFLW98_TO_IBUG68, :]


def wflw98_annotation_to_ibug68(ann: Dict) -> Dict:
    """A COCO-style WFLW annotation (``keypoints`` x, y, v * 98) as a 68-point one: the
    same dict with ``keypoints`` (x, y, v * 68) and ``num_keypoints`` the labelled (v > 0)
    count; everything else (``bbox``, ``center``, ``scale``, ids) is kept."""
    kpts = list(ann['keypoints'])
    if len(kpts) != 98 * 3:
        raise InputError(f'annotation {ann.get("id")}: expected 98 * 3 keypoint values '
                         f'(x, y, v), got {len(kpts)}')
    kpts68 = np.asarray(kpts).reshape(98, 3)[WFLW98_TO_IBUG68]
    return dict(ann, keypoints=kpts68.reshape(-1).tolist(),
                num_keypoints=int((kpts68[:, 2] > 0).sum()))


def wflw98_json_to_ibug68(in_file: str, out_file: str) -> int:
    """Convert an MMPose COCO-style WFLW json (``keypoints`` of 98 points per annotation)
    to a 68-point one: every annotation through :func:`wflw98_annotation_to_ibug68`
    (``bbox``, ``center``, ``scale`` kept: the box of the 98 points), ``images``,
    ``categories`` and any other top-level keys as they are. Written atomically (a reader
    never sees half a file). Returns the number of annotations."""
    with open(in_file) as f:
        coco = json.load(f)
    if not isinstance(coco, dict) or 'annotations' not in coco:
        raise InputError(f'{in_file}: not a COCO-style json (no "annotations")')
    try:
        annotations = [wflw98_annotation_to_ibug68(ann) for ann in coco['annotations']]
    except InputError as error:
        raise InputError(f'{in_file}: {error}') from None
    dump_json_atomically(dict(coco, annotations=annotations), out_file)
    return len(annotations)
