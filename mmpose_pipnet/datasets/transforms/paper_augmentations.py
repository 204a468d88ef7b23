"""PIPNet's training augmentations that MMPose lacks (Jin, Liao & Shao, IJCV 2021, as
the authors' implementation samples them).

Geometric jitter acts on the box before ``TopdownAffine`` (so translated content is real
image, not a black border); photometric ones act on the crop after it. Images are BGR
uint8 (H, W, 3), as MMPose loads them.
"""
from typing import Dict

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS


def _check_range(transform: str, name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValueError(f'{transform}: {name}={value} must be in [{low}, {high}]')


@TRANSFORMS.register_module()
class RandomBBoxTranslateRotate(BaseTransform):
    """Uniform translation and rotation of the crop, as the reference samples them.

    With probability ``shift_prob`` the box centre moves by ``U(-max_shift, max_shift)``
    of the box size on each axis (the reference: +-30 px of a 256 px crop, 30/256); with
    probability ``rotate_prob`` the crop rotates by ``U(-max_rotate, max_rotate)``
    degrees. (MMPose's ``RandomBBoxTransform`` draws both from a truncated normal.)

    Required keys: bbox_center, bbox_scale. Modified: bbox_center. Added: bbox_rotation.
    """

    def __init__(self, max_shift: float = 30 / 256, shift_prob: float = 0.5,
                 max_rotate: float = 30.0, rotate_prob: float = 0.5) -> None:
        super().__init__()
        for name, value, high in (('max_shift', max_shift, 1), ('shift_prob', shift_prob, 1),
                                  ('max_rotate', max_rotate, 180),
                                  ('rotate_prob', rotate_prob, 1)):
            _check_range(type(self).__name__, name, value, 0, high)
        self.max_shift = max_shift
        self.shift_prob = shift_prob
        self.max_rotate = max_rotate
        self.rotate_prob = rotate_prob

    def transform(self, results: Dict) -> Dict:
        num = len(results['bbox_center'])
        shift = np.random.uniform(-self.max_shift, self.max_shift, (num, 2))
        shift *= (np.random.rand(num, 1) < self.shift_prob)
        results['bbox_center'] = results['bbox_center'] + shift * results['bbox_scale']
        rotate = np.random.uniform(-self.max_rotate, self.max_rotate, num)
        rotate *= (np.random.rand(num) < self.rotate_prob)
        results['bbox_rotation'] = results.get('bbox_rotation', 0) + rotate
        return results


@TRANSFORMS.register_module()
class RandomOcclusionBox(BaseTransform):
    """Paint one random-colour box on the crop with probability ``prob``.

    Box sides are ``U{0..max_size*side}`` pixels at a uniform position (reference: 0.4).
    Keypoints keep their labels (the network must infer occluded points).

    Required and modified key: img.
    """

    def __init__(self, max_size: float = 0.4, prob: float = 0.5) -> None:
        super().__init__()
        _check_range(type(self).__name__, 'max_size', max_size, 0, 1)
        _check_range(type(self).__name__, 'prob', prob, 0, 1)
        self.max_size = max_size
        self.prob = prob

    def transform(self, results: Dict) -> Dict:
        if np.random.rand() >= self.prob:
            return results
        img = results['img']
        height, width = img.shape[:2]
        box_w = np.random.randint(0, int(width * self.max_size) + 1)
        box_h = np.random.randint(0, int(height * self.max_size) + 1)
        x0 = np.random.randint(0, width - box_w + 1)
        y0 = np.random.randint(0, height - box_h + 1)
        img = img.copy()
        img[y0:y0 + box_h, x0:x0 + box_w] = np.random.randint(0, 256, img.shape[2:],
                                                                dtype=np.uint8)
        results['img'] = img
        return results


@TRANSFORMS.register_module()
class RandomGaussianBlur(BaseTransform):
    """Gaussian blur of radius (sigma, pixels) ``U(0, max_radius)`` with prob ``prob``.

    Required and modified key: img.
    """

    def __init__(self, max_radius: float = 5.0, prob: float = 0.3) -> None:
        super().__init__()
        _check_range(type(self).__name__, 'max_radius', max_radius, 0, float('inf'))
        _check_range(type(self).__name__, 'prob', prob, 0, 1)
        self.max_radius = max_radius
        self.prob = prob

    def transform(self, results: Dict) -> Dict:
        if np.random.rand() >= self.prob:
            return results
        sigma = np.random.uniform(0, self.max_radius)
        if sigma > 0.1:
            results['img'] = cv2.GaussianBlur(results['img'], (0, 0), sigmaX=sigma)
        return results


@TRANSFORMS.register_module()
class RandomGrayscale(BaseTransform):
    """Replace the crop by its grey levels (3 equal channels) with probability ``prob``.

    Required and modified key: img.
    """

    def __init__(self, prob: float = 0.2) -> None:
        super().__init__()
        _check_range(type(self).__name__, 'prob', prob, 0, 1)
        self.prob = prob

    def transform(self, results: Dict) -> Dict:
        if np.random.rand() >= self.prob:
            return results
        gray = cv2.cvtColor(results['img'], cv2.COLOR_BGR2GRAY)
        results['img'] = cv2.merge([gray, gray, gray])
        return results
