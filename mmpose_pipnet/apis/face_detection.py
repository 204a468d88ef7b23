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

Large images: a network sees the image shrunk to its ``max_side``, where a small face
becomes too small to find. :class:`FaceDetector` then also runs it on overlapping tiles
of finer pyramid levels, so that faces of ``min_face`` pixels or more are found in an
image of any size, and merges the detections (:func:`suppress_overlaps`).
"""
import ctypes
import functools
import os.path as osp
import threading
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

from ..utils.errors import InputError


def shrink_for_detection(image: np.ndarray, max_side: float) -> Tuple[np.ndarray, float]:
    """Shrink so that the longer side is at most ``max_side`` pixels.

    Returns the image (unchanged if small enough) and its scale (new pixels per pixel).
    """
    scale = min(1.0, max_side / max(image.shape[:2]))
    if scale == 1.0:
        return image, 1.0
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale


def check_bgr_image(image: np.ndarray) -> None:
    """Raise a one-line :class:`InputError` unless ``image`` is a (H, W, 3) uint8 array
    with H, W >= 1."""
    if not (isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[2] == 3
            and image.dtype == np.uint8 and image.size):
        raise InputError(f'expected a (H, W, 3) BGR image of uint8 with H, W >= 1, got '
                         f'{type(image).__name__} {getattr(image, "shape", "")} '
                         f'{getattr(image, "dtype", "")}'.rstrip())


def tile_starts(length: int, tile: int, overlap: int) -> np.ndarray:
    """(T,) int starts of tiles of side ``tile`` covering ``length`` pixels, evenly spread,
    neighbours overlapping by at least ``overlap`` pixels (one tile if it fits)."""
    if length <= tile:
        return np.zeros(1, int)
    count = int(np.ceil((length - tile) / (tile - overlap))) + 1
    return np.linspace(0, length - tile, count).round().astype(int)


def suppress_overlaps(boxes: np.ndarray, scores: np.ndarray,
                      threshold: float = 0.5) -> np.ndarray:
    """Greedy NMS by intersection over the smaller box (a face cut at a tile's edge lies
    inside the whole face): indices of the kept boxes, best score first.

    Args:
        boxes: (N, 4) x1, y1, x2, y2, pixels
        scores: (N,)
        threshold: a box whose intersection with a better one exceeds this fraction of
            the smaller of the two is dropped
    """
    order = np.argsort(-scores, kind='stable')
    boxes = boxes[order]
    area = np.prod(np.clip(boxes[:, 2:] - boxes[:, :2], 0, None), 1)
    overlap = np.clip(np.minimum(boxes[:, None, 2:], boxes[None, :, 2:]) -
                      np.maximum(boxes[:, None, :2], boxes[None, :, :2]), 0, None).prod(-1)
    overlap = overlap > threshold * np.maximum(np.minimum(area[:, None], area[None]), 1e-6)
    keep = np.ones(len(boxes), bool)
    for i in range(len(boxes)):  # greedy: each kept box removes the worse ones it covers
        if keep[i]:
            keep[i + 1:] &= ~overlap[i, i + 1:]
    return order[keep]


# libfacedetection loads its weights into global buffers on its first call, unguarded
# (`if (!param_initialized) { init_parameters(); param_initialized = true; }`): threads
# making their first calls together would rewrite the buffers that another one reads.
# Each YuNetFace makes one call under this lock when it is built; later calls only read
# the buffers (and allocate their own), so any number of threads may share a YuNetFace.
YUNET_FIRST_CALL = threading.Lock()

# libfacedetection's result buffer: "its size must be 0x9000 bytes" (facedetectcnn.h)
YUNET_RESULT_BYTES = 0x9000


@functools.lru_cache(maxsize=None)
def yunet_library() -> ctypes.CDLL:
    """libfacedetection.so of the ``yuface`` wheel, its ``facedetect_cnn`` typed."""
    import yuface
    library = ctypes.CDLL(osp.join(osp.dirname(yuface.__file__), 'libfacedetection.so'))
    function = library._Z14facedetect_cnnPhS_iii  # int *facedetect_cnn(uchar *result,
    function.restype = ctypes.POINTER(ctypes.c_int)  # uchar *bgr, int w, int h, int step)
    function.argtypes = [ctypes.c_void_p, ctypes.c_void_p] + [ctypes.c_int] * 3
    return library


def yunet_detect(image: np.ndarray) -> np.ndarray:
    """(N, 15) int16 YuNet results of a (H, W, 3) uint8 BGR image: score (percent), x,
    y, w, h (pixels), 5 landmarks x, y.

    ``facedetect_cnn`` called directly, into a buffer freed with the array: yuface
    2023.5.1's ``detect`` mallocs its 36 KiB result buffer on every call and never frees
    it (about 35 KiB a call measured; a video tracked for an hour detected 9,000 times
    or more).
    """
    image = np.ascontiguousarray(image)
    result = np.zeros(YUNET_RESULT_BYTES // 4, np.int32)  # int32: the count is aligned
    count = yunet_library()._Z14facedetect_cnnPhS_iii(
        result.ctypes.data, image.ctypes.data, image.shape[1], image.shape[0],
        image.strides[0])[0]
    # each face: 16 int16 after the int32 count, the last one unused
    return result[1:1 + 8 * count].view(np.int16).reshape(count, 16)[:, :15].copy()


@MODELS.register_module()
class YuNetFace:
    """libfacedetection's YuNet (PyPI ``yuface``) on a BGR uint8 image.

    The image is shrunk so that its longer side is at most ``max_side`` (YuNet's time
    grows with the pixel count); boxes are mapped back to image pixels.

    Args:
        score_thr: keep faces scoring above this, in [0, 1]
        max_side: longer image side the network sees at most (pixels)
    """
    # smallest face side (pixels of the network's input) found reliably: grace_hopper.jpg
    # shrunk until YuNet missed her face found it at 14 px (score 0.74), not at 10 px
    smallest_face = 20

    def __init__(self, score_thr: float = 0.5, max_side: int = 640) -> None:
        # the compiled network directly (yuface's wrapper casts boxes to uint16, wrapping
        # faces that cross the image's top or left edge; its binding leaks, yunet_detect)
        with YUNET_FIRST_CALL:  # see YUNET_FIRST_CALL: after this call, it is thread-safe
            yunet_detect(np.zeros((32, 32, 3), np.uint8))
        self._detect = yunet_detect
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
        # OpenCV's CascadeClassifier keeps the image pyramid of the running detection in
        # the object: two threads detecting at once fail its assertions ('0 <= scaleIdx')
        # or mix their images, so its calls take turns
        self.lock = threading.Lock()
        self.min_size = min_size
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.max_side = max_side

    @property
    def smallest_face(self) -> int:
        """Smallest face side found in an image the cascade sees unshrunk, pixels: its
        24-pixel window, or ``min_size``."""
        return max(24, self.min_size)

    def __call__(self, image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Raw face boxes (N, 4) float32 x1, y1, x2, y2 and scores (N,) (all 1), largest
        first."""
        resized, scale = shrink_for_detection(image, self.max_side)
        gray = cv2.cvtColor(resized, cv2.COLOR_BGR2GRAY) if resized.ndim == 3 else resized
        min_size = max(1, round(self.min_size * scale))
        with self.lock:
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

    The network sees the image shrunk to its ``max_side``, so in an image of longer side
    L it finds faces of ``smallest_face * L / max_side`` pixels or more. Where that is
    above ``min_face``, it also runs on a pyramid of finer levels (scales doubling up to
    ``smallest_face / min_face``), each cut into ``max_side`` tiles overlapping by
    ``2.5 * smallest_face``; detections touching a tile's inner edge are dropped (the
    face lies whole in the neighbouring tile, or is found one level coarser) and the rest
    are merged by :func:`suppress_overlaps`. With YuNet (``max_side=640``) and
    ``min_face=100``, images up to 3200 px are detected in one run as before, a
    4000 x 3000 photo in 1 + 2 runs, a 12000 x 9000 image in 1 + 18 (about 8 s on 2 busy
    CPU cores).

    Args:
        network: config of a network above (``dict(type='YuNetFace', ...)``)
        box_calibration: :class:`FaceBoxCalibration` arguments; ``None`` keeps raw boxes
        min_face: face side (image pixels) found in an image of any size; ``None``: one
            run on the shrunk image only
    """

    def __init__(self, network: Dict, box_calibration: Optional[Dict] = None,
                 min_face: Optional[float] = 100.0) -> None:
        with DefaultScope.overwrite_default_scope('mmdet'):  # whatever scope is current
            self.network = MODELS.build(network)
        self.calibration = (FaceBoxCalibration(**box_calibration)
                            if box_calibration is not None else None)
        self.min_face = min_face

    @classmethod
    def from_config(cls, config: str, calibrated: bool = True) -> 'FaceDetector':
        """The detector of a ``configs/face_detection/`` file (``calibrated=False``: raw
        network boxes, e.g. to fit a calibration)."""
        model = Config.fromfile(config).model
        if model.get('type') != 'OfflineFaceDetector':
            raise ValueError(f'{config}: model.type must be OfflineFaceDetector, got '
                             f'{model.get("type")!r}')
        return cls(model.backbone, model.get('box_calibration') if calibrated else None)

    def pyramid_scales(self, shape: Tuple[int, ...]) -> np.ndarray:
        """(L,) scales (level pixels per image pixel) of the tiled levels for an image of
        this shape, coarse to fine; empty where the one shrunk run finds ``min_face``."""
        if self.min_face is None:
            return np.zeros(0)
        coarse = min(1.0, self.network.max_side / max(shape[:2]))
        fine = min(1.0, self.network.smallest_face / self.min_face)
        if fine <= coarse:
            return np.zeros(0)
        scales = coarse * 2.0 ** np.arange(1, int(np.ceil(np.log2(fine / coarse))) + 1)
        return np.minimum(scales, fine)

    def detect_tiles(self, level: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Raw boxes (N, 4) in ``level``'s pixels and scores (N,) of one pyramid level,
        from its tiles; boxes touching a tile's inner edge are dropped."""
        side, smallest = self.network.max_side, self.network.smallest_face
        # faces this level must find are under 2 * smallest (the coarser level, at half
        # the scale, finds the larger ones): with this overlap each lies in some tile at
        # least ``margin`` from its inner edges
        margin = smallest / 4
        overlap = int(np.ceil(2 * smallest + 2 * margin))
        ys, xs = (tile_starts(length, side, overlap) for length in level.shape[:2])
        origins = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)  # (T, 2) x, y
        found = [self.network(np.ascontiguousarray(level[y:y + side, x:x + side]))
                 for x, y in origins]
        counts = [len(scores) for _, scores in found]
        boxes = np.concatenate([boxes for boxes, _ in found]).reshape(-1, 4)
        scores = np.concatenate([scores for _, scores in found])
        lo = np.repeat(origins, counts, 0).astype(np.float32)  # (N, 2) tile corners
        size = np.array(level.shape[1::-1])
        hi = np.minimum(lo + side, size)
        boxes = boxes + np.tile(lo, 2)
        cut = ((boxes[:, :2] < lo + margin) & (lo > 0)) | \
              ((boxes[:, 2:] > hi - margin) & (hi < size))
        keep = ~cut.any(1)
        return boxes[keep], scores[keep]

    def detect_raw(self, image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Raw network boxes (N, 4) x1, y1, x2, y2 in image pixels and scores (N,), best
        first: one run on the shrunk image, and the tiled pyramid where it is needed."""
        scales = self.pyramid_scales(image.shape)
        if not len(scales):
            return self.network(image)
        finest, fine = shrink_for_detection(image, max(image.shape[:2]) * scales[-1])
        runs = [self.network(finest)]  # the network shrinks it to its max_side
        for scale in scales:
            level = finest if scale == scales[-1] else shrink_for_detection(
                finest, max(image.shape[:2]) * scale)[0]
            boxes, scores = self.detect_tiles(level)
            runs.append((boxes * fine / scale, scores))
        boxes = np.concatenate([boxes for boxes, _ in runs]) / fine
        scores = np.concatenate([scores for _, scores in runs])
        keep = suppress_overlaps(boxes, scores)
        return boxes[keep].astype(np.float32), scores[keep].astype(np.float32)

    def __call__(self, image: np.ndarray,
                 max_side: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray]:
        """Faces of a (H, W, 3) BGR uint8 image: boxes (N, 4) x1, y1, x2, y2 in image
        pixels (calibrated) and scores (N,), best first.

        ``max_side``: shrink the image first so that its longer side is at most this many
        pixels (faster, misses faces that become too small; the network's own
        ``max_side`` and the pyramid then apply to the shrunk image).

        Raises:
            InputError: not a (H, W, 3) uint8 image
        """
        check_bgr_image(image)
        image, scale = shrink_for_detection(image, max_side) if max_side else (image, 1.0)
        boxes, scores = self.detect_raw(np.ascontiguousarray(image))
        keep = (boxes[:, 2:] > boxes[:, :2]).all(1)  # a network's empty box is no face
        boxes, scores = boxes[keep] / scale, scores[keep]
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
