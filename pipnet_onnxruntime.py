"""Face landmarks from an exported PIPNet ONNX model with ONNX Runtime: numpy, OpenCV and
onnxruntime only (no torch, MMPose, MMCV or MMEngine), one file to copy into a deployment.

A top-level module rather than part of ``mmpose_pipnet``: importing any ``mmpose_pipnet``
submodule runs the package's ``__init__``, which registers everything into MMPose.

Export a model with ``tools/deploy/export_onnx.py`` (landmarks, not raw maps), then::

    from pipnet_onnxruntime import PIPNetONNXPredictor
    predictor = PIPNetONNXPredictor('pipnet.onnx')
    keypoints, scores = predictor(image_bgr, boxes)   # boxes (N, 4) x1, y1, x2, y2

Crops are made exactly as MMPose's top-down pipeline makes them (``GetBBoxCenterScale``
with the exported padding, ``TopdownAffine``: a square-aspect box scaled to the input
size, bilinear), all faces go through the network in one batched run, and the landmarks
come back in image pixels.
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
import onnxruntime as ort


class PIPNetONNXPredictor:
    """Landmarks of faces in given boxes with an exported PIPNet (ONNX Runtime, CPU default).

    Args:
        onnx_file: a model from ``tools/deploy/export_onnx.py`` (outputs ``keypoints``,
            ``scores``)
        threads: intra-op threads (default: ONNX Runtime's choice, one per core)
        providers: ONNX Runtime execution providers (default: CPU)
        allow_spinning: let the idle intra-op threads spin between runs (ONNX Runtime's
            default). Off here: an application does other work between two landmark runs
            (decoding, face detection, drawing) and spinning threads take the cores from
            it; measured on 2 cores, a spinning session made the next PyTorch call 1.8x
            slower.
    """

    def __init__(self, onnx_file: str, threads: Optional[int] = None,
                 providers: Optional[Sequence[str]] = None,
                 allow_spinning: bool = False) -> None:
        options = ort.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
        options.add_session_config_entry('session.intra_op.allow_spinning',
                                         '1' if allow_spinning else '0')
        self.session = ort.InferenceSession(onnx_file, options,
                                            providers=providers or ['CPUExecutionProvider'])
        meta = self.session.get_modelmeta().custom_metadata_map
        missing = {'input_size', 'bbox_padding', 'outputs'} - set(meta)
        if missing:
            raise ValueError(f'{onnx_file}: no {sorted(missing)} in its metadata (export it '
                             f'with tools/deploy/export_onnx.py)')
        if meta['outputs'] != 'landmarks':
            raise ValueError(f'{onnx_file}: exported with raw maps; the predictor needs the '
                             f'landmark outputs (export without --raw-maps)')
        self.input_size = tuple(int(v) for v in meta['input_size'].split(','))  # (w, h)
        self.bbox_padding = float(meta['bbox_padding'])
        self.num_keypoints = int(meta['num_keypoints'])

    def crop_transforms(self, boxes: np.ndarray) -> np.ndarray:
        """(N, 4) x1, y1, x2, y2 boxes -> (N, 2, 3) image-to-crop affine matrices.

        MMPose's convention: the box centre maps to the crop centre and the padded box,
        widened or heightened to the crop's aspect ratio, to the whole crop.
        """
        width, height = self.input_size
        center = (boxes[:, :2] + boxes[:, 2:]) / 2
        size = (boxes[:, 2:] - boxes[:, :2]) * self.bbox_padding
        aspect = width / height
        size = np.where((size[:, 0] > size[:, 1] * aspect)[:, None],
                        np.stack([size[:, 0], size[:, 0] / aspect], 1),
                        np.stack([size[:, 1] * aspect, size[:, 1]], 1))
        scale = width / size[:, 0]  # crop pixels per image pixel
        matrices = np.zeros((len(boxes), 2, 3), np.float64)
        matrices[:, 0, 0] = matrices[:, 1, 1] = scale
        matrices[:, :, 2] = np.array([width / 2, height / 2]) - scale[:, None] * center
        return matrices

    def __call__(self, image: np.ndarray, boxes: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Landmarks of the faces in ``boxes`` of a (H, W, 3) BGR uint8 image.

        Args:
            image: (H, W, 3) uint8 BGR pixels, H, W >= 1
            boxes: (N, 4) x1, y1, x2, y2 (or (N, 5) with scores, ignored), image pixels

        Returns:
            tuple: keypoints (N, K, 2) float32 in image pixels and scores (N, K)

        Raises:
            ValueError: one line, for another image, or a box that is not finite, has no
                area, lies outside the image or has a side over 10 image sides
        """
        check_inputs(image, boxes)
        boxes = np.asarray(boxes, np.float64)
        if not boxes.size:
            return (np.zeros((0, self.num_keypoints, 2), np.float32),
                    np.zeros((0, self.num_keypoints), np.float32))
        boxes = boxes.reshape(-1, boxes.shape[-1])[:, :4]  # (4,): one box
        matrices = self.crop_transforms(boxes)
        crops = np.stack([cv2.warpAffine(image, m, self.input_size, flags=cv2.INTER_LINEAR)
                          for m in matrices])
        batch = np.ascontiguousarray(crops.transpose(0, 3, 1, 2), np.float32)
        keypoints, scores = self.session.run(['keypoints', 'scores'], {'images': batch})
        scale = matrices[:, 0, 0][:, None, None]
        keypoints = (keypoints - matrices[:, None, :, 2]) / scale
        return keypoints.astype(np.float32), scores.astype(np.float32)


def check_inputs(image: np.ndarray, boxes: np.ndarray) -> None:
    """Raise a one-line ``ValueError`` for a predictor input that is not a (H, W, 3) uint8
    image with (N, 4) / (N, 5) finite boxes of positive size that overlap it, each side at
    most 10 image sides (the checks of ``mmpose_pipnet.apis.face_landmarks.check_boxes``;
    this module imports nothing of the package)."""
    if not (isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[2] == 3
            and image.dtype == np.uint8 and image.size):
        raise ValueError(f'image: expected (H, W, 3) uint8 BGR pixels, got '
                         f'{type(image).__name__} {getattr(image, "shape", "")} '
                         f'{getattr(image, "dtype", "")}'.rstrip())
    try:
        boxes = np.asarray(boxes, np.float64)
    except (TypeError, ValueError):
        raise ValueError(f'boxes: expected numbers, got {boxes!r:.80}') from None
    if not boxes.size:
        return
    boxes = boxes[None] if boxes.ndim == 1 else boxes
    if boxes.ndim != 2 or boxes.shape[1] not in (4, 5):
        raise ValueError(f'boxes: expected (N, 4) or (N, 5) x1, y1, x2, y2[, score], got '
                         f'shape {boxes.shape}')
    height, width = image.shape[:2]
    x1, y1, x2, y2 = boxes[:, :4].T
    with np.errstate(invalid='ignore'):  # inf - inf: caught as not finite
        bad = (~np.isfinite(boxes).all(1) | (x2 <= x1) | (y2 <= y1) | (x2 <= 0) |
               (y2 <= 0) | (x1 >= width) | (y1 >= height) |
               (np.maximum(x2 - x1, y2 - y1) > 10 * max(height, width)))
    if bad.any():
        index = int(np.argmax(bad))
        raise ValueError(f'boxes[{index}] = {boxes[index].tolist()}: not a finite box of '
                         f'positive size overlapping the {width} x {height} image, at most '
                         f'10 image sides')
