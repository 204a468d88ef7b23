"""Helpers shared by the scripts of tools/analysis (a module, not a command).

- a still-face test clip (:func:`make_still_clip`, :func:`letterbox`): benchmark.py,
  video_jitter_fps.py
- face detectors on whole images with landmark ground truth (:func:`load_face_images`,
  :func:`evaluate_face_detector`): calibrate_face_detector.py, eval_face_detectors.py

The scripts import it as ``_common`` with their own folder on ``sys.path``.

Detector evaluation: ground truth comes from MMPose's COCO-style face json
(``keypoints``, or the whole-body ``face_kpts`` where ``face_valid``). A face's reference
box is the square around its points (the converters' box: what the PIPNet configs are
trained on); detection rate, time, and the landmark NME through detector -> PIPNet next
to the ground-truth-box NME.
"""
import json
import os
import os.path as osp
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from tqdm import tqdm

from mmpose_pipnet.apis.face_detection import landmark_square, match_faces


def letterbox(image: np.ndarray, size: Tuple[int, int] = (640, 480)) -> np.ndarray:
    """``image`` shrunk or grown to fit ``size`` (w, h), centred on black (its aspect kept)."""
    width, height = size
    scale = min(width / image.shape[1], height / image.shape[0])
    resized = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)),
                         interpolation=cv2.INTER_AREA)
    canvas = np.zeros((height, width, 3), np.uint8)
    y0, x0 = (height - resized.shape[0]) // 2, (width - resized.shape[1]) // 2
    canvas[y0:y0 + resized.shape[0], x0:x0 + resized.shape[1]] = resized
    return canvas


def make_still_clip(image: np.ndarray, path: str, frames: int = 100,
                    size: Tuple[int, int] = (640, 480), noise_sigma: float = 4.0,
                    fps: float = 25.0, seed: int = 0) -> str:
    """Write an mp4 of ``image`` letterboxed into ``size`` (w, h), ``frames`` long, with
    Gaussian pixel noise of ``noise_sigma`` grey levels drawn anew each frame (plus the
    codec's own noise). Returns ``path``."""
    canvas = letterbox(image, size)
    if osp.dirname(path):
        os.makedirs(osp.dirname(path), exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps, size)
    rng = np.random.default_rng(seed)
    for _ in range(frames):
        noise = rng.normal(0, noise_sigma, canvas.shape)
        writer.write(np.clip(canvas + noise, 0, 255).astype(np.uint8))
    writer.release()
    return path


def load_face_images(ann_file: str, image_root: str) -> List[Dict]:
    """Images with their faces: ``[{'path', 'points' (F, K, 2), 'visible' (F, K)}]``.

    Faces without labelled points (whole-body json: ``face_valid`` false) are left out;
    images keep their other faces.
    """
    with open(ann_file) as f:
        coco = json.load(f)
    faces: Dict[int, List[np.ndarray]] = {}
    for ann in coco['annotations']:
        if 'face_kpts' in ann:
            if not ann.get('face_valid', False):
                continue
            kpts = ann['face_kpts']
        else:
            kpts = ann['keypoints']
        faces.setdefault(ann['image_id'], []).append(np.asarray(kpts, np.float64).reshape(-1, 3))
    images = []
    for image in coco['images']:
        if image['id'] not in faces:
            continue
        kpts = np.stack(faces[image['id']])
        images.append(dict(path=osp.join(image_root, image['file_name']),
                           points=kpts[..., :2], visible=kpts[..., 2] > 0))
    return images


def interocular_nme(pred: np.ndarray, gt: np.ndarray, visible: np.ndarray,
                    eye_indices: Tuple[int, int] = (36, 45)) -> np.ndarray:
    """Per-face NME: (F, K, 2) predictions and truth, (F, K) visibility -> (F,) fractions,
    normalised by the distance between the two ``eye_indices`` points (68-point outer eye
    corners by default, as MMPose's 300W metric)."""
    norm = np.linalg.norm(gt[:, eye_indices[0]] - gt[:, eye_indices[1]], axis=-1)
    err = np.linalg.norm(pred - gt, axis=-1)
    return (err * visible).sum(1) / np.maximum(visible.sum(1), 1) / norm


def evaluate_face_detector(
        detect: Callable[[np.ndarray], Tuple[np.ndarray, np.ndarray]],
        images: Sequence[Dict],
        landmarks: Optional[Callable[[np.ndarray, np.ndarray], np.ndarray]] = None,
        box_scales: Sequence[float] = (), desc: str = 'images') -> Dict:
    """Run ``detect`` on each whole image and match its boxes to the labelled faces.

    Args:
        detect: BGR image -> (boxes (N, 4) x1, y1, x2, y2 in pixels, scores (N,))
        images: :func:`load_face_images` output
        landmarks: optional (BGR image, boxes (N, 4)) -> points (N, K, 2), e.g. PIPNet
            through ``inference_topdown``; then NMEs are measured too
        box_scales: extra factors on the ground-truth box to measure NME with (e.g.
            0.85, 1.15: how much a box-size error costs)

    Returns:
        dict: ``faces``, ``detected`` (share), ``seconds_per_image`` (detector only),
        ``det_boxes`` (F, 4) each face's matched detection (NaN where missed) and
        ``gt_boxes`` (F, 4) its landmark square, and with ``landmarks``:
        ``nme_gt_box`` (F,) on all faces, ``nme_det_box`` (F,) NaN where missed,
        ``nme_gt_box_x{s}`` per box scale.
    """
    found, det_boxes, gt_boxes, seconds = [], [], [], 0.0
    nme_gt, nme_det = [], []
    nme_scaled: Dict[float, List[np.ndarray]] = {s: [] for s in box_scales}
    for item in tqdm(images, desc=desc):
        image = cv2.imread(item['path'])
        if image is None:
            raise FileNotFoundError(f'{item["path"]}: not found or not an image')
        start = time.perf_counter()
        boxes, _ = detect(image)
        seconds += time.perf_counter() - start
        gt_box = landmark_square(item['points'])
        match = match_faces(boxes, gt_box)
        found.append(match >= 0)
        matched = np.full((len(gt_box), 4), np.nan, np.float32)
        matched[match >= 0] = boxes[match[match >= 0]]
        det_boxes.append(matched)
        gt_boxes.append(gt_box)
        if landmarks is None:
            continue
        nme_gt.append(interocular_nme(landmarks(image, gt_box), item['points'],
                                      item['visible']))
        nme = np.full(len(gt_box), np.nan)
        if (match >= 0).any():
            hit = match >= 0
            nme[hit] = interocular_nme(landmarks(image, matched[hit]), item['points'][hit],
                                       item['visible'][hit])
        nme_det.append(nme)
        for scale in box_scales:
            center, half = (gt_box[:, :2] + gt_box[:, 2:]) / 2, (gt_box[:, 2:] - gt_box[:, :2]) / 2
            scaled = np.concatenate([center - half * scale, center + half * scale], 1)
            nme_scaled[scale].append(interocular_nme(landmarks(image, scaled), item['points'],
                                                     item['visible']))
    result = dict(faces=int(sum(len(f) for f in found)),
                  detected=float(np.concatenate(found).mean()),
                  seconds_per_image=seconds / max(len(images), 1),
                  det_boxes=np.concatenate(det_boxes), gt_boxes=np.concatenate(gt_boxes))
    if landmarks is not None:
        result['nme_gt_box'] = np.concatenate(nme_gt)
        result['nme_det_box'] = np.concatenate(nme_det)
        for scale, values in nme_scaled.items():
            result[f'nme_gt_box_x{scale:g}'] = np.concatenate(values)
    return result
