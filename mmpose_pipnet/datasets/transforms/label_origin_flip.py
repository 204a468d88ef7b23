"""Flip augmentation for labels that are not in MMPose's 0-based pixel convention.

MMPose's ``RandomFlip`` mirrors a coordinate as ``x -> w - 1 - x``: right for labels whose
first pixel centre is 0. Labels given 1-based (300-W style ``.pts`` files, ytf68) are then
mirrored 2 px off, so half the training samples say "+1 px" and the other half "-1 px":
the model learns neither and misses the labels by the origin on every test face.
"""
from typing import Dict

import numpy as np
from mmpose.datasets.transforms import RandomFlip
from mmpose.registry import TRANSFORMS

from mmpose_pipnet.utils.errors import InputError

# flip direction -> the coordinate axes it mirrors
_MIRRORED_AXES = {'horizontal': (0, ), 'vertical': (1, ), 'diagonal': (0, 1)}


@TRANSFORMS.register_module()
class RandomFlipWithLabelOrigin(RandomFlip):
    """MMPose's ``RandomFlip`` for labels whose first pixel centre is ``label_origin``.

    A label ``u`` in that convention is the pixel coordinate ``u - label_origin``; the
    mirror image of it is ``w - 1 - (u - label_origin) + label_origin``, i.e. MMPose's
    mirror plus ``2 * label_origin`` on each mirrored axis (keypoints, ``bbox_center`` and
    ``bbox``, all in image pixels). ``label_origin=0`` is ``RandomFlip`` itself.

    It must come before ``TopdownAffine`` (the origin is in image pixels, not crop pixels).

    Args:
        label_origin: the coordinate the labels give the centre of the first pixel
            (0: MMPose, OpenCV; 1: MATLAB-style, 1-based).
        **kwargs: ``RandomFlip``'s ``prob`` and ``direction``.
    """

    def __init__(self, label_origin: float = 0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(label_origin, (int, float)) or not np.isfinite(label_origin):
            raise InputError(f'RandomFlipWithLabelOrigin: label_origin={label_origin!r} '
                             'must be a finite number of pixels (0 or 1)')
        self.label_origin = float(label_origin)

    def transform(self, results: Dict) -> Dict:
        if 'input_size' in results:
            raise InputError('RandomFlipWithLabelOrigin must come before TopdownAffine: '
                             'its label_origin is in image pixels')
        results = super().transform(results)
        if not results['flip'] or self.label_origin == 0:
            return results
        shift = 2 * self.label_origin
        for axis in _MIRRORED_AXES[results['flip_direction']]:
            if results.get('keypoints') is not None:
                results['keypoints'][..., axis] += shift
            if results.get('bbox_center') is not None:
                results['bbox_center'][..., axis] += shift
            if results.get('bbox') is not None:
                results['bbox'][..., axis::2] += shift
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(label_origin={self.label_origin}, '
                f'prob={self.prob}, direction={self.direction})')
