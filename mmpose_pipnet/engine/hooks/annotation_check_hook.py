"""Fail before the first iteration on annotations that would train or score silently wrong."""
import numpy as np
from mmpose.registry import HOOKS

from ...utils.errors import InputError
from .dataloader_check_hook import DataloaderCheckHook


@HOOKS.register_module()
class AnnotationCheckHook(DataloaderCheckHook):
    """Check every face of the train/val/test dataset before the loop starts.

    One-line :class:`InputError`, naming the annotation file, the image and the point, for:

    - a face whose number of points differs from the dataset's ``num_keypoints``;
    - a labelled (visible) point that is NaN or infinite (MMPose would train on it: the
      codec would mask it silently);
    - a labelled point farther than ``max_outside`` box sides outside the face box (a
      swapped x/y, another image's points, a unit mistake). Points a little outside the
      box or the image are valid: PIPNet supervises points outside the crop.
    - a box with no area or non-finite corners.

    Args:
        max_outside: how many box sides outside the box a point may lie. Default 1.
    """

    def __init__(self, max_outside: float = 1.0) -> None:
        self.max_outside = max_outside

    def _check(self, runner, loader_name: str) -> None:
        dataset = getattr(getattr(runner, loader_name, None), 'dataset', None)
        if dataset is None or not hasattr(dataset, 'get_data_info'):
            return
        num_keypoints = dataset.metainfo.get('num_keypoints')
        source = getattr(dataset, 'ann_file', '') or type(dataset).__name__
        for index in range(len(dataset)):
            info = dataset.get_data_info(index)
            where = f'{source}: face {info.get("id", index)} of {info.get("img_path")}'
            keypoints = np.asarray(info.get('keypoints', np.zeros((1, 0, 2))), np.float64)
            if num_keypoints is not None and keypoints.shape[1] != num_keypoints:
                raise InputError(f'{where} has {keypoints.shape[1]} points, the dataset '
                                 f'num_keypoints={num_keypoints}')
            visible = np.asarray(info.get('keypoints_visible',
                                          np.ones(keypoints.shape[:2])))[0] > 0
            points = keypoints[0]
            bad = visible & ~np.isfinite(points).all(-1)
            if bad.any():
                raise InputError(f'{where}: labelled point {int(np.argmax(bad))} is '
                                 f'{points[np.argmax(bad)].tolist()} (NaN/inf); mark it not '
                                 f'visible (v=0) or fix it')
            box = np.asarray(info.get('bbox', np.zeros((1, 4))), np.float64).reshape(-1)[:4]
            side = box[2:] - box[:2]
            if not np.isfinite(box).all() or (side <= 0).any():
                raise InputError(f'{where}: box {box.tolist()} (x1, y1, x2, y2) has no area')
            margin = self.max_outside * side
            far = visible & ((points < box[:2] - margin) | (points > box[2:] + margin)).any(-1)
            if far.any():
                raise InputError(f'{where}: labelled point {int(np.argmax(far))} at '
                                 f'{points[np.argmax(far)].round(1).tolist()} is more than '
                                 f'{self.max_outside:g} box sides outside the face box '
                                 f'{box.round(1).tolist()}')
