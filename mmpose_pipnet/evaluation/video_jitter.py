"""Landmark jitter on a still face: a clip of one photo with fresh sensor noise per frame.

Jitter is the mean frame-to-frame motion of the landmarks, normalised by the inter-ocular
distance (68 points: outer eye corners 36 and 45), in the same units as NME. On a still
face any motion is noise, so less is better; smoothing should lower it.
"""
import os
import os.path as osp
from typing import Tuple

import cv2
import numpy as np


def make_still_clip(image: np.ndarray, path: str, frames: int = 100,
                    size: Tuple[int, int] = (640, 480), noise_sigma: float = 4.0,
                    fps: float = 25.0, seed: int = 0) -> str:
    """Write an mp4 of ``image`` letterboxed into ``size`` (w, h), ``frames`` long, with
    Gaussian pixel noise of ``noise_sigma`` grey levels drawn anew each frame (plus the
    codec's own noise). Returns ``path``."""
    width, height = size
    scale = min(width / image.shape[1], height / image.shape[0])
    resized = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)),
                         interpolation=cv2.INTER_AREA)
    canvas = np.zeros((height, width, 3), np.uint8)
    y0, x0 = (height - resized.shape[0]) // 2, (width - resized.shape[1]) // 2
    canvas[y0:y0 + resized.shape[0], x0:x0 + resized.shape[1]] = resized
    if osp.dirname(path):
        os.makedirs(osp.dirname(path), exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps, size)
    rng = np.random.default_rng(seed)
    for _ in range(frames):
        noise = rng.normal(0, noise_sigma, canvas.shape)
        writer.write(np.clip(canvas + noise, 0, 255).astype(np.uint8))
    writer.release()
    return path


def landmark_jitter(keypoints: np.ndarray, eye_indices: Tuple[int, int] = (36, 45)) -> float:
    """Mean frame-to-frame landmark motion of one face over inter-ocular distance.

    Args:
        keypoints: (T, K, 2) the face's landmarks in T consecutive frames (pixels)

    Returns:
        float: mean over frames and points of ||p_t - p_{t-1}|| / d, a fraction
    """
    if len(keypoints) < 2:
        raise ValueError('jitter needs at least two frames')
    motion = np.linalg.norm(np.diff(keypoints, axis=0), axis=-1).mean(1)
    norm = np.linalg.norm(keypoints[:, eye_indices[0]] - keypoints[:, eye_indices[1]],
                          axis=-1).mean()
    return float(motion.mean() / norm)
