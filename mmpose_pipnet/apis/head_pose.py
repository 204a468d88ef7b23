"""Head pose (yaw, pitch, roll) from 68 iBUG landmarks, vectorised over faces.

The landmarks are fitted to a 3D mean face, the Surrey Face Model's mean shape at its
iBUG-68 vertices (50 rigid points: chin, brows, nose, eyes, lips; the jaw contour moves
with the pose and is left out), stored as ``head_pose_sfm68.txt`` (made by
``tools/make_head_pose_model.py``). The camera is scaled orthographic (weak perspective):
for a face far from the camera compared to its depth it needs no focal length, and the fit
is linear: an affine camera by least squares, made a rotation by SVD.

Angles in degrees, of the head relative to the camera, 0 for a frontal upright face:

- yaw: turning about the vertical axis; positive when the nose moves to the image's right
- pitch: nodding; positive when the face looks up (the nose moves up in the image)
- roll: tilting in the image plane; positive when the eye line turns clockwise in the
  image (image y down)

The rotation of the model into the camera is ``R = Rz(roll) @ Rx(-pitch) @ Ry(-yaw)``
in camera axes (x right, y down, z away from the camera), see :func:`rotation_matrix`.
"""
import os.path as osp
from functools import lru_cache
from typing import Tuple

import numpy as np
from scipy.spatial.transform import Rotation

from ..utils.errors import InputError

MODEL_FILE = osp.join(osp.dirname(osp.abspath(__file__)), 'head_pose_sfm68.txt')
NUM_POINTS = 68


@lru_cache(maxsize=None)
def mean_face_3d() -> Tuple[np.ndarray, np.ndarray]:
    """(indices (P,) of the iBUG points used, points (P, 3) in camera axes: x to the image's
    right, y down, z away from the camera, for a frontal face; model units, about mm)."""
    table = np.loadtxt(MODEL_FILE, comments='#')
    sfm = table[:, 1:]  # x to the subject's left, y up, z out of the face
    return table[:, 0].astype(int), sfm * np.array([1.0, -1.0, -1.0])


def rotation_matrix(yaw: np.ndarray, pitch: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotations of the mean face into the camera for angles (N,) in degrees."""
    angles = np.stack([roll, -np.asarray(pitch), -np.asarray(yaw)], -1)
    return Rotation.from_euler('ZXY', np.atleast_2d(angles), degrees=True).as_matrix()


def angles_from_rotation(rotations: np.ndarray) -> np.ndarray:
    """(N, 3) yaw, pitch, roll in degrees of (N, 3, 3) rotations (the inverse of
    :func:`rotation_matrix`)."""
    roll, minus_pitch, minus_yaw = Rotation.from_matrix(rotations).as_euler(
        'ZXY', degrees=True).T
    return np.stack([-minus_yaw, -minus_pitch, roll], -1)


def estimate_head_pose(keypoints: np.ndarray) -> np.ndarray:
    """Yaw, pitch, roll (N, 3) in degrees of faces with 68 iBUG landmarks.

    Args:
        keypoints: (N, 68, 2) landmarks in image pixels (x right, y down), any scale

    Returns:
        (N, 3) float32 yaw, pitch, roll (see the module doc); NaN for a face whose points
        are not finite
    """
    keypoints = np.asarray(keypoints, np.float64)
    if keypoints.ndim != 3 or keypoints.shape[1:] != (NUM_POINTS, 2):
        raise InputError(f'head pose: expected (N, {NUM_POINTS}, 2) iBUG-68 landmarks, got '
                         f'shape {keypoints.shape}')
    indices, model = mean_face_3d()
    model = model - model.mean(0)
    points = keypoints[:, indices]  # (N, P, 2)
    points = points - points.mean(1, keepdims=True)
    finite = np.isfinite(points).all((1, 2))
    # affine camera: points ~ model @ A.T, by least squares (one pseudo-inverse for all)
    cameras = np.einsum('kp,npd->ndk', np.linalg.pinv(model), np.where(
        finite[:, None, None], points, 0))  # (N, 2, 3)
    rows = cameras / np.linalg.norm(cameras, axis=-1, keepdims=True).clip(min=1e-12)
    third = np.cross(rows[:, 0], rows[:, 1])[:, None]
    u, _, vt = np.linalg.svd(np.concatenate([rows, third], 1))  # nearest rotation
    sign = np.sign(np.linalg.det(u @ vt))
    u[:, :, 2] *= sign[:, None]
    pose = angles_from_rotation(u @ vt).astype(np.float32)
    pose[~finite] = np.nan
    return pose


def project(yaw: float, pitch: float, roll: float, scale: float = 1.0,
            centre: Tuple[float, float] = (0.0, 0.0),
            distance: float = np.inf) -> np.ndarray:
    """The mean face's points (P, 2) as a camera at ``distance`` (model units, perspective;
    ``inf``: scaled orthographic) sees it at a pose, in pixels: ``scale`` pixels per unit
    at the face, centred at ``centre``. Returns (68, 2) with NaN at the points the model
    does not hold (the jaw contour). For tests and synthetic checks."""
    indices, model = mean_face_3d()
    rotated = (model - model.mean(0)) @ rotation_matrix(yaw, pitch, roll)[0].T
    depth = 1.0 if np.isinf(distance) else distance / (distance + rotated[:, 2:])
    out = np.full((NUM_POINTS, 2), np.nan)
    out[indices] = rotated[:, :2] * depth * scale + np.asarray(centre)
    return out
