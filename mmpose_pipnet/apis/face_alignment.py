"""Aligned face crops from 68 iBUG landmarks: a 5-point similarity onto a template.

The five points of each face are its two eye centres (the means of points 36-41 and
42-47), the nose tip (30) and the mouth corners (48, 54), in image order: the eye and the
mouth corner on the image's left first. The least-squares similarity (rotation, one
scale, shift; no reflection or shear: Umeyama, PAMI 1991) takes them onto the template,
and the image is warped by it (bilinear, black outside the image).

Templates are given for 112 x 112 crops and scaled by ``size / 112`` for other sizes:

- ``'arcface'``: the 5-point template of InsightFace's ArcFace (``arcface_dst`` of
  ``insightface.utils.face_align``), the input alignment of ArcFace-style recognisers.

Five points do not fit a similarity exactly, so they land near the template, not on it:
on the 300W fixture faces the mapped eye centres are 0.4-2.0 px from the template's (the
test bounds them by 2.5 px: ``tests/test_face_alignment.py``), the nose tip and mouth
corners up to 7 px on a face pitched 20 degrees.
"""
from typing import Dict, Tuple

import numpy as np

from ..utils.errors import InputError

#: 5-point templates (x, y) in pixels of a 112 x 112 crop: eyes, nose tip, mouth corners.
TEMPLATES_112: Dict[str, np.ndarray] = {
    'arcface': np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                         [41.5493, 92.3655], [70.7299, 92.2041]], np.float64),
}
NUM_POINTS = 68


def template_points(template: str = 'arcface', size: int = 112) -> np.ndarray:
    """The (5, 2) template in pixels of a ``size`` x ``size`` crop (the 112 px one scaled
    by ``size / 112``)."""
    if template not in TEMPLATES_112:
        raise InputError(f'aligned crops: unknown template {template!r}; known: '
                         f'{", ".join(sorted(TEMPLATES_112))}')
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise InputError(f'aligned crops: size must be a positive integer (pixels), got '
                         f'{size!r}')
    return TEMPLATES_112[template] * (size / 112.0)


def five_points(keypoints: np.ndarray) -> np.ndarray:
    """(N, 68, 2) iBUG landmarks -> (N, 5, 2): eye centres (image left, right), nose tip,
    mouth corners (image left, right); same units (pixels)."""
    keypoints = np.asarray(keypoints, np.float64)
    if keypoints.ndim != 3 or keypoints.shape[1:] != (NUM_POINTS, 2):
        raise InputError(f'aligned crops: expected (N, {NUM_POINTS}, 2) iBUG-68 landmarks, '
                         f'got shape {keypoints.shape}')
    return np.stack([keypoints[:, 36:42].mean(1), keypoints[:, 42:48].mean(1),
                     keypoints[:, 30], keypoints[:, 48], keypoints[:, 54]], 1)


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The least-squares similarity taking (K, 2) ``src`` onto (K, 2) ``dst`` (Umeyama):
    a (2, 3) matrix ``M`` with ``dst ~ src @ M[:, :2].T + M[:, 2]``. Rotation, one scale
    and a shift only (no reflection); all NaN if ``src`` is not finite."""
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    if not np.isfinite(src).all():
        return np.full((2, 3), np.nan)
    src_mean, dst_mean = src.mean(0), dst.mean(0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    u, s, vt = np.linalg.svd(dst_c.T @ src_c / len(src))
    d = np.diag([1.0, 1.0 if np.linalg.det(u) * np.linalg.det(vt) >= 0 else -1.0])
    rotation = u @ d @ vt
    variance = (src_c ** 2).sum() / len(src)
    scale = np.trace(np.diag(s) @ d) / variance if variance > 0 else 0.0
    linear = scale * rotation
    return np.concatenate([linear, (dst_mean - linear @ src_mean)[:, None]], 1)


def alignment_transforms(keypoints: np.ndarray, size: int = 112,
                         template: str = 'arcface') -> np.ndarray:
    """(N, 2, 3) image pixels -> crop pixels similarities of (N, 68, 2) landmarks (see the
    module doc); a face with a non-finite point gets an all-NaN matrix."""
    dst = template_points(template, size)
    matrices = [similarity_transform(src, dst) for src in five_points(keypoints)]
    return np.array(matrices, np.float64).reshape(-1, 2, 3)


def align_faces(image: np.ndarray, keypoints: np.ndarray, size: int = 112,
                template: str = 'arcface') -> Tuple[np.ndarray, np.ndarray]:
    """Aligned crops of the faces of one image.

    Args:
        image: (H, W, 3) uint8 image (BGR as OpenCV reads it; the crops keep its channel
            order)
        keypoints: (N, 68, 2) iBUG landmarks in that image's pixels
        size: crop side in pixels
        template: ``'arcface'`` (see :data:`TEMPLATES_112`)

    Returns:
        tuple: (N, size, size, 3) uint8 crops (black where the crop leaves the image; all
        black for a face with a non-finite point), and the (N, 2, 3) transforms (image ->
        crop pixels, as in :func:`alignment_transforms`)
    """
    import cv2
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise InputError(f'aligned crops: expected an (H, W, 3) uint8 image, got shape '
                         f'{image.shape} {image.dtype}')
    matrices = alignment_transforms(keypoints, size, template)
    crops = np.zeros((len(matrices), size, size, 3), np.uint8)
    for crop, matrix in zip(crops, matrices):
        if np.isfinite(matrix).all():
            crop[...] = cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR,
                                       borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    return crops, matrices
