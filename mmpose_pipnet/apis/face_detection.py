"""Offline face detectors in MMDetection's registry, with boxes in the PIPNet box convention.

Two networks that ship inside registry packages (nothing is downloaded):

- ``YuNetFace``: libfacedetection's YuNet CNN, compiled into the PyPI wheel ``yuface``
  (BSD-3); it found every face of MMPose's face fixtures, 20-px faces included.
- ``HaarCascadeFace``: OpenCV's frontal-face Haar cascade (inside opencv-python).

Each returns raw boxes (x1, y1, x2, y2, image pixels) and scores in [0, 1]. The PIPNet
configs are trained on a different box: the square around the landmarks' extent (the
converters' box), which ``GetBBoxCenterScale`` pads x1.25. :class:`FaceBoxCalibration`
maps a detector's raw box to that square with three numbers fitted on ytf68 train
(``tools/analysis/calibrate_face_detector.py``); they live in the detector's config
(``configs/face_detection/``).

:class:`OfflineFaceDetector` wraps one network and its calibration as an MMDetection
detector, so ``DetInferencer``, ``init_detector``/``inference_detector`` and
``MMPoseInferencer(det_model=...)`` use it like any detector (label 0 = face).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmdet.models.detectors.base import BaseDetector
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData


def shrink_for_detection(image: np.ndarray, max_side: int) -> Tuple[np.ndarray, float]:
    """Shrink so that the longer side is at most ``max_side`` pixels.

    Returns the image (unchanged if small enough) and its scale (new pixels per pixel).
    """
    scale = min(1.0, max_side / max(image.shape[:2]))
    if scale == 1.0:
        return image, 1.0
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale


@MODELS.register_module()
class YuNetFace:
    """libfacedetection's YuNet (PyPI ``yuface``) on a BGR uint8 image.

    The image is shrunk so that its longer side is at most ``max_side`` (YuNet's time
    grows with the pixel count); boxes are mapped back to image pixels.

    Args:
        score_thr: keep faces scoring above this, in [0, 1]
        max_side: longer image side the network sees at most (pixels)
    """

    def __init__(self, score_thr: float = 0.5, max_side: int = 640) -> None:
        from yuface.yuface import detect  # the compiled network (the package's wrapper
        # casts boxes to uint16, wrapping faces that cross the image's top or left edge)
        self._detect = detect
        self.score_thr = score_thr
        self.max_side = max_side

    def __call__(self, image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Raw face boxes of a (H, W, 3) BGR uint8 image.

        Returns:
            tuple: boxes (N, 4) float32 x1, y1, x2, y2 in image pixels, and scores (N,)
            float32 in [0, 1], best first
        """
        resized, scale = shrink_for_detection(image, self.max_side)
        result = np.asarray(self._detect(np.ascontiguousarray(resized)), np.float32)
        result = result.reshape(-1, result.shape[-1] if result.size else 16)
        scores = result[:, 0] / 100
        keep = scores > self.score_thr
        xywh = result[keep, 1:5] / scale
        boxes = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], 1)
        order = np.argsort(-scores[keep], kind='stable')
        return boxes[order], scores[keep][order]


@MODELS.register_module()
class HaarCascadeFace:
    """OpenCV's frontal-face Haar cascade on a BGR uint8 image (frontal faces only).

    Args:
        min_size: smallest face side in pixels (of the image as given)
        scale_factor: the cascade's pyramid step
        min_neighbors: the cascade's grouping threshold (higher: fewer, surer faces)
        max_side: longer image side the cascade sees at most (pixels)
    """

    def __init__(self, min_size: int = 30, scale_factor: float = 1.1,
                 min_neighbors: int = 5, max_side: int = 960) -> None:
        path = cv2.data.haarcascades + 'haarcascade_frontalface_default.xml'
        self.cascade = cv2.CascadeClassifier(path)
        if self.cascade.empty():
            raise FileNotFoundError(f'OpenCV Haar cascade {path} could not be loaded')
        self.min_size = min_size
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.max_side = max_side

    def __call__(self, image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Raw face boxes (N, 4) float32 x1, y1, x2, y2 and scores (N,) (all 1), largest
        first."""
        resized, scale = shrink_for_detection(image, self.max_side)
        gray = cv2.cvtColor(resized, cv2.COLOR_BGR2GRAY) if resized.ndim == 3 else resized
        min_size = max(1, round(self.min_size * scale))
        faces = self.cascade.detectMultiScale(
            gray, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors,
            minSize=(min_size, min_size))
        faces = np.asarray(faces, np.float32).reshape(-1, 4) / scale
        faces = faces[np.argsort(-faces[:, 2] * faces[:, 3], kind='stable')]
        boxes = np.concatenate([faces[:, :2], faces[:, :2] + faces[:, 2:]], 1)
        return boxes, np.ones(len(boxes), np.float32)


def landmark_square(points: np.ndarray) -> np.ndarray:
    """The square around the points' extent: (..., K, 2) -> (..., 4) x1, y1, x2, y2."""
    lo, hi = points.min(-2), points.max(-2)
    center, half = (lo + hi) / 2, (hi - lo).max(-1, keepdims=True) / 2
    return np.concatenate([center - half, center + half], -1)


def match_faces(det_boxes: np.ndarray, gt_boxes: np.ndarray) -> np.ndarray:
    """For each ground-truth box, the index of its detection, or -1.

    A detection matches a face when it contains the face's centre and its size
    (sqrt of the area) is within a factor 2 of the face's; pairs are taken greedily by
    centre distance (relative to the face's side), each detection once.
    """
    match = np.full(len(gt_boxes), -1)
    if not len(det_boxes) or not len(gt_boxes):
        return match
    gt_center = (gt_boxes[:, :2] + gt_boxes[:, 2:]) / 2
    det_center = (det_boxes[:, :2] + det_boxes[:, 2:]) / 2
    gt_side = np.sqrt(np.prod(gt_boxes[:, 2:] - gt_boxes[:, :2], 1))
    det_side = np.sqrt(np.prod(det_boxes[:, 2:] - det_boxes[:, :2], 1))
    inside = ((gt_center[:, None] >= det_boxes[None, :, :2]) &
              (gt_center[:, None] <= det_boxes[None, :, 2:])).all(-1)
    ratio = det_side[None] / gt_side[:, None]
    ok = inside & (ratio > 0.5) & (ratio < 2)
    dist = np.linalg.norm(gt_center[:, None] - det_center[None], axis=-1) / gt_side[:, None]
    dist[~ok] = np.inf
    for flat in np.argsort(dist, axis=None):
        g, d = np.unravel_index(flat, dist.shape)
        if not np.isfinite(dist[g, d]):
            break
        if match[g] < 0 and d not in match:
            match[g] = d
    return match


class FaceBoxCalibration:
    """Map raw detector boxes to the PIPNet training box (the landmarks' square).

    With a raw box of centre (cx, cy), width w and height h, the calibrated box is the
    square of side ``side_ratio * sqrt(w * h)`` centred at
    ``(cx + shift_x * w, cy + shift_y * h)``.

    Args:
        side_ratio: landmark-square side per geometric-mean detector side
        shift_x: horizontal centre offset, in detector widths
        shift_y: vertical centre offset, in detector heights (positive: down)
    """

    def __init__(self, side_ratio: float = 1.0, shift_x: float = 0.0,
                 shift_y: float = 0.0) -> None:
        if side_ratio <= 0:
            raise ValueError(f'FaceBoxCalibration: side_ratio={side_ratio} must be > 0')
        self.side_ratio = side_ratio
        self.shift_x = shift_x
        self.shift_y = shift_y

    def __call__(self, boxes: np.ndarray) -> np.ndarray:
        """(N, 4) x1, y1, x2, y2 raw boxes -> (N, 4) calibrated square boxes (pixels)."""
        width = boxes[:, 2] - boxes[:, 0]
        height = boxes[:, 3] - boxes[:, 1]
        cx = (boxes[:, 0] + boxes[:, 2]) / 2 + self.shift_x * width
        cy = (boxes[:, 1] + boxes[:, 3]) / 2 + self.shift_y * height
        half = self.side_ratio * np.sqrt(width * height) / 2
        return np.stack([cx - half, cy - half, cx + half, cy + half], 1).astype(np.float32)

    @classmethod
    def fit(cls, raw_boxes: np.ndarray, target_boxes: np.ndarray) -> 'FaceBoxCalibration':
        """Fit on matched pairs: (N, 4) raw detector boxes and (N, 4) landmark squares.

        Medians (robust to the odd wrong match): the side ratio is the median of the
        target side over sqrt(w * h); the shifts are the median centre offsets over w, h.
        """
        width = raw_boxes[:, 2] - raw_boxes[:, 0]
        height = raw_boxes[:, 3] - raw_boxes[:, 1]
        target_side = target_boxes[:, 2] - target_boxes[:, 0]
        offset = (target_boxes[:, :2] + target_boxes[:, 2:]) / 2 - \
            (raw_boxes[:, :2] + raw_boxes[:, 2:]) / 2
        return cls(side_ratio=float(np.median(target_side / np.sqrt(width * height))),
                   shift_x=float(np.median(offset[:, 0] / width)),
                   shift_y=float(np.median(offset[:, 1] / height)))

    def to_dict(self) -> Dict[str, float]:
        return dict(side_ratio=round(self.side_ratio, 4), shift_x=round(self.shift_x, 4),
                    shift_y=round(self.shift_y, 4))


class FaceDetector:
    """A face network plus its calibration: BGR image -> calibrated boxes and scores.

    Args:
        network: config of a network above (``dict(type='YuNetFace', ...)``)
        box_calibration: :class:`FaceBoxCalibration` arguments; ``None`` keeps raw boxes
    """

    def __init__(self, network: Dict, box_calibration: Optional[Dict] = None) -> None:
        with DefaultScope.overwrite_default_scope('mmdet'):  # whatever scope is current
            self.network = MODELS.build(network)
        self.calibration = (FaceBoxCalibration(**box_calibration)
                            if box_calibration is not None else None)

    @classmethod
    def from_config(cls, config: str, calibrated: bool = True) -> 'FaceDetector':
        """The detector of a ``configs/face_detection/`` file (``calibrated=False``: raw
        network boxes, e.g. to fit a calibration)."""
        model = Config.fromfile(config).model
        if model.get('type') != 'OfflineFaceDetector':
            raise ValueError(f'{config}: model.type must be OfflineFaceDetector, got '
                             f'{model.get("type")!r}')
        return cls(model.backbone, model.get('box_calibration') if calibrated else None)

    def __call__(self, image: np.ndarray,
                 max_side: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray]:
        """Faces of a (H, W, 3) BGR uint8 image: boxes (N, 4) x1, y1, x2, y2 in image
        pixels (calibrated) and scores (N,), best first.

        ``max_side``: shrink the image first so that its longer side is at most this many
        pixels (faster, misses faces that become too small; the network's own
        ``max_side`` still applies).
        """
        if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f'face detection expects a (H, W, 3) BGR image, got '
                             f'{getattr(image, "shape", type(image))}')
        image, scale = shrink_for_detection(image, max_side) if max_side else (image, 1.0)
        boxes, scores = self.network(np.ascontiguousarray(image, np.uint8))
        boxes = boxes / scale
        if self.calibration is not None and len(boxes):
            boxes = self.calibration(boxes)
        return boxes, scores


@MODELS.register_module()
class OfflineFaceDetector(BaseDetector):
    """An offline face network as an MMDetection detector (inference only).

    Inputs are the data preprocessor's (B, 3, H, W) float BGR images in 0-255 (configure
    ``DetDataPreprocessor`` with ``bgr_to_rgb=False`` and no mean/std); predictions are
    ``pred_instances`` with ``bboxes`` (N, 4) in original-image pixels (calibrated to the
    PIPNet box), ``scores`` (N,) and ``labels`` (N,) = 0 (face).

    Args:
        backbone: the face network, ``dict(type='YuNetFace', ...)`` or
            ``dict(type='HaarCascadeFace', ...)`` (named ``backbone`` because MMDetection's
            ``init_detector`` reads ``model.backbone``)
        box_calibration: :class:`FaceBoxCalibration` arguments, or ``None`` for raw boxes
        data_preprocessor: MMDetection data preprocessor config
        init_cfg: unused (the networks ship their weights)
    """

    def __init__(self, backbone: Dict, box_calibration: Optional[Dict] = None,
                 data_preprocessor: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.detector = FaceDetector(backbone, box_calibration)

    def predict(self, batch_inputs: torch.Tensor, batch_data_samples: List[DetDataSample],
                rescale: bool = True) -> List[DetDataSample]:
        """Detect faces in each image; boxes in original-image pixels if ``rescale``."""
        for image, data_sample in zip(batch_inputs, batch_data_samples):
            height, width = data_sample.img_shape
            pixels = image[:, :height, :width].round().clamp(0, 255).byte()
            boxes, scores = self.detector(pixels.permute(1, 2, 0).cpu().numpy())
            if rescale and 'scale_factor' in data_sample:
                boxes = boxes / np.tile(np.asarray(data_sample.scale_factor, np.float32), 2)
            data_sample.pred_instances = InstanceData(
                bboxes=torch.from_numpy(boxes).reshape(-1, 4).to(image.device),
                scores=torch.from_numpy(scores).to(image.device),
                labels=torch.zeros(len(scores), dtype=torch.long, device=image.device))
        return batch_data_samples

    def loss(self, batch_inputs: torch.Tensor, batch_data_samples: Sequence) -> Dict:
        raise NotImplementedError(
            f'{type(self).__name__} wraps a fixed, pre-trained face network: it cannot be '
            'trained with MMDetection')

    def _forward(self, batch_inputs: torch.Tensor, batch_data_samples: Sequence = None):
        return self.predict(batch_inputs, batch_data_samples)

    def extract_feat(self, batch_inputs: torch.Tensor):
        raise NotImplementedError(f'{type(self).__name__} has no feature maps')
