"""Face landmarks on a whole image: offline face detector -> PIPNet (top-down), batched.

The user-facing Python entry point behind the demos::

    from mmpose_pipnet.apis import FaceLandmarker
    faces = FaceLandmarker()(cv2.imread('photo.jpg'))   # bundled model, YuNet boxes
    faces.keypoints   # (N, 68, 2) image pixels

``PIPNetInferencer('pipnet-ytf68')`` gives the same landmarks through MMPose's
inferencer interface (see :mod:`.inferencer`).
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmpose.apis import inference_topdown, init_model

from ..datasets.transforms.loading import decode_image
from ..utils.errors import InputError
from .face_alignment import align_faces
from .face_detection import FaceDetector, check_bgr_image
from .head_pose import NUM_POINTS, estimate_head_pose
from .model_zoo import (DEFAULT_CHECKPOINT, DEFAULT_CONFIG, DEFAULT_FACE_DETECTOR,
                        is_model_name, resolve_model)

# a box side longer than this many times the image's longer side is refused (a face box
# is at most a few image sides even for a face cut by the edges; far larger boxes make
# the crop scale underflow)
MAX_BOX_SIDE_RATIO = 10
# decimals of Faces.to_list: pixels (boxes, landmarks; 0.01 px is far below the model's
# error) and scores
PIXEL_DECIMALS, SCORE_DECIMALS = 2, 3


@dataclass
class Faces:
    """Faces of one image, in image pixels.

    Attributes:
        boxes: (N, 4) x1, y1, x2, y2 boxes the landmarks were predicted in (the PIPNet box
            convention: the landmarks' square, padded x1.25 by the model's pipeline)
        box_scores: (N,) detector scores (1 for user or tracked boxes)
        keypoints: (N, K, 2) landmarks
        keypoint_scores: (N, K) the score-map maxima (about 1 on a confident point)

    ``head_pose`` (N, 3) yaw, pitch, roll in degrees is computed from the keypoints (68
    iBUG points; :mod:`.head_pose`), so smoothed video landmarks give a smoothed pose.
    :meth:`aligned_crops` cuts the faces out of their image, aligned (:mod:`.face_alignment`).
    """
    boxes: np.ndarray
    box_scores: np.ndarray
    keypoints: np.ndarray
    keypoint_scores: np.ndarray

    def __len__(self) -> int:
        return len(self.boxes)

    @property
    def head_pose(self) -> Optional[np.ndarray]:
        """(N, 3) yaw, pitch, roll in degrees for 68-point landmarks, else ``None``."""
        if self.keypoints.shape[1:] != (NUM_POINTS, 2):
            return None
        return estimate_head_pose(self.keypoints)

    def aligned_crops(self, image: np.ndarray, size: int = 112,
                      template: str = 'arcface') -> np.ndarray:
        """(N, size, size, 3) uint8 crops of the faces, aligned by a 5-point similarity
        (eye centres, nose tip, mouth corners of the 68 points) onto ``template``
        (``'arcface'``: InsightFace's 112 px template, scaled for other sizes); see
        :mod:`.face_alignment`.

        Args:
            image: the (H, W, 3) uint8 image these faces were found in (``Faces`` holds
                no image: it is a light result record, and a tracked video's faces
                would otherwise keep every frame alive); the crops keep its channel order
            size: crop side, pixels
            template: the 5-point template's name

        Raises:
            InputError: landmarks that are not 68 iBUG points, an unknown template
        """
        return align_faces(image, self.keypoints, size, template)[0]

    def to_list(self) -> List[Dict]:
        """JSON-ready: one dict per face (bbox, bbox_score, keypoints, keypoint_scores, and
        head_pose {yaw, pitch, roll} in degrees for 68 points) of Python floats, pixels to
        ``PIXEL_DECIMALS`` and scores to ``SCORE_DECIMALS`` decimals (float32 values
        rounded as float32 print as long floats, 123.45600128173828)."""
        faces = [dict(bbox=box.astype(float).round(PIXEL_DECIMALS).tolist(),
                      bbox_score=round(float(score), SCORE_DECIMALS),
                      keypoints=kpts.astype(float).round(PIXEL_DECIMALS).tolist(),
                      keypoint_scores=kpt_scores.astype(float).round(SCORE_DECIMALS).tolist())
                 for box, score, kpts, kpt_scores in zip(
                     self.boxes, self.box_scores, self.keypoints, self.keypoint_scores)]
        pose = self.head_pose
        if pose is not None:
            for face, (yaw, pitch, roll) in zip(faces, pose.astype(float).round(1).tolist()):
                face['head_pose'] = dict(yaw=yaw, pitch=pitch, roll=roll)
        return faces


class FaceLandmarker:
    """Detect faces and predict their landmarks with a PIPNet model.

    Args:
        config: a shipped model's name or alias (``'pipnet-ytf68'``, ``model-index.yml``)
            or a PIPNet config file (default: the bundled model's)
        checkpoint: its weights (default: the bundled model's, or the named model's)
        detector: face detector config (``configs/face_detection/``)
        device: ``'cpu'``, ``'cuda:0'``, ... (PyTorch backend)
        onnx_file: run the landmarks with this exported model in ONNX Runtime
            (``tools/deploy/export_onnx.py``) instead of PyTorch; config and checkpoint
            are then not loaded
    """

    def __init__(self, config: str = DEFAULT_CONFIG, checkpoint: Optional[str] = DEFAULT_CHECKPOINT,
                 detector: str = DEFAULT_FACE_DETECTOR, device: str = 'cpu',
                 onnx_file: Optional[str] = None) -> None:
        if is_model_name(config):  # a shipped model: its own weights unless given
            config, shipped_weights = resolve_model(config)
            if checkpoint in (None, DEFAULT_CHECKPOINT):
                checkpoint = shipped_weights
        self.config, self.checkpoint = config, checkpoint
        files = (('detector', detector), ('onnx', onnx_file)) if onnx_file else \
            (('config', config), ('checkpoint', checkpoint), ('detector', detector))
        for name, path in files:
            if path is not None and not osp.isfile(path):
                raise FileNotFoundError(f'{name} file {path} not found')
        self.detector = FaceDetector.from_config(detector)
        self.model = self.predictor = None
        if onnx_file:
            from pipnet_onnxruntime import PIPNetONNXPredictor
            self.predictor = PIPNetONNXPredictor(onnx_file)
            self.num_keypoints = self.predictor.num_keypoints
        else:
            self.model = init_model(config, checkpoint, device=device)
            self.num_keypoints = self.model.dataset_meta['num_keypoints']

    def detect(self, image: np.ndarray, max_side: Optional[int] = None) -> np.ndarray:
        """Face boxes (N, 5) x1, y1, x2, y2, score of a BGR image, in the PIPNet convention
        (``max_side``: detect on the image shrunk to this longer side, see
        :class:`~.face_detection.FaceDetector`)."""
        boxes, scores = self.detector(image, max_side)
        return np.concatenate([boxes, scores[:, None]], 1)

    def landmarks(self, image: np.ndarray, boxes: np.ndarray) -> Faces:
        """Landmarks in given boxes of a (H, W, 3) BGR uint8 image: (N, 4) or (N, 5)
        x1, y1, x2, y2[, score], pixels.

        Raises:
            InputError: not such an image, or a box that is not finite, has no area, lies
                outside the image or is far larger than it (:func:`check_boxes`)
        """
        check_bgr_image(image)
        boxes = check_boxes(boxes, image.shape)
        if not len(boxes):
            return Faces(np.zeros((0, 4), np.float32), np.zeros(0, np.float32),
                         np.zeros((0, self.num_keypoints, 2), np.float32),
                         np.zeros((0, self.num_keypoints), np.float32))
        if self.predictor is not None:
            keypoints, keypoint_scores = self.predictor(image, boxes[:, :4])
        else:
            samples = inference_topdown(self.model, image, boxes[:, :4])
            keypoints = np.concatenate([s.pred_instances.keypoints for s in samples])
            keypoint_scores = np.concatenate([s.pred_instances.keypoint_scores
                                              for s in samples])
        return Faces(boxes[:, :4], boxes[:, 4], keypoints.astype(np.float32),
                     keypoint_scores.astype(np.float32))

    def __call__(self, image: Union[np.ndarray, str, os.PathLike]) -> Faces:
        """Every face of a (H, W, 3) BGR uint8 image (or an image file, :func:`read_image`):
        detector boxes -> landmarks."""
        if isinstance(image, (str, os.PathLike)):
            image = read_image(image)
        return self.landmarks(image, self.detect(image))


def check_boxes(boxes: Union[np.ndarray, Sequence], image_shape: Tuple[int, ...],
                name: str = 'boxes') -> np.ndarray:
    """(N, 5) float32 boxes x1, y1, x2, y2, score (1 where not given), pixels, from a
    user's (N, 4), (N, 5), (4,) or (5,) boxes for an image of ``image_shape`` (H, W, ...).

    Raises:
        InputError: naming ``name`` and the first bad box: another shape, not numbers, not
            finite, no area (needs x1 < x2 and y1 < y2), no overlap with the image, or a
            side over ``MAX_BOX_SIDE_RATIO`` times the image's longer side
    """
    try:
        with np.errstate(over='ignore'):  # beyond float32: inf, refused below
            boxes = np.asarray(boxes, np.float32)
    except (TypeError, ValueError):
        raise InputError(f'{name}: expected numbers x1, y1, x2, y2[, score], got '
                         f'{boxes!r:.80}') from None
    if not boxes.size:
        return np.zeros((0, 5), np.float32)
    if boxes.ndim == 1:
        boxes = boxes[None]
    if boxes.ndim != 2 or boxes.shape[1] not in (4, 5):
        raise InputError(f'{name}: expected (N, 4) or (N, 5) boxes x1, y1, x2, y2[, score] '
                         f'per input, got shape {boxes.shape}')
    height, width = image_shape[:2]
    with np.errstate(invalid='ignore', over='ignore'):  # inf - inf: caught as not finite
        side = (boxes[:, 2:4] - boxes[:, :2]).max(1)
    problems = (
        (~np.isfinite(boxes).all(1), 'is not finite'),
        ((boxes[:, 2] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 1]),
         'has no area (needs x1 < x2 and y1 < y2)'),
        ((boxes[:, 2] <= 0) | (boxes[:, 3] <= 0) | (boxes[:, 0] >= width) |
         (boxes[:, 1] >= height), f'lies outside the {width} x {height} image'),
        (side > MAX_BOX_SIDE_RATIO * max(height, width),
         f"is over {MAX_BOX_SIDE_RATIO}x the image's longer side"))
    for bad, reason in problems:
        if bad.any():
            index = int(np.argmax(bad))
            raise InputError(f'{name}[{index}] = {boxes[index].tolist()} {reason}')
    if boxes.shape[1] == 4:
        boxes = np.concatenate([boxes, np.ones((len(boxes), 1), np.float32)], 1)
    return boxes


def read_image(path: Union[str, os.PathLike]) -> np.ndarray:
    """(H, W, 3) uint8 BGR pixels of an image file as displayed (EXIF orientation
    applied; :func:`~mmpose_pipnet.datasets.transforms.loading.decode_image`, as
    ``LoadFaceImage`` reads training images).

    Raises:
        FileNotFoundError: no such file
        InputError: a file that cannot be read or is not an image (one line naming it)
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such image file')
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as error:
        raise InputError(f'{path}: cannot be read ({error.strerror})') from None
    return decode_image(data, str(path))
