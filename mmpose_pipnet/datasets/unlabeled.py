"""The unlabelled pool of self-training: a folder of face images, one sample per face box."""
import json
import os
import os.path as osp
from typing import Dict, List, Optional

import cv2
import mmcv
import numpy as np
from mmengine.logging import print_log
from mmpose.datasets.datasets.base import BaseCocoStyleDataset
from mmpose.registry import DATASETS
from tqdm import tqdm

from ..utils.errors import InputError

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp')
#: How to box an image that the boxes file does not cover.
BOX_SOURCES = ('detector', 'whole_image')


def list_images(folder: str) -> List[str]:
    """Image files under ``folder`` (recursive), relative to it, sorted."""
    found = []
    for root, _, files in os.walk(folder):
        found += [osp.relpath(osp.join(root, f), folder) for f in files
                  if f.lower().endswith(IMAGE_EXTENSIONS)]
    return sorted(found)


@DATASETS.register_module()
class UnlabeledFaceDataset(BaseCocoStyleDataset):
    """Face images without landmarks, for pseudo-labelling (top-down, test mode).

    Every image under ``data_prefix['img']`` (recursively) gives one sample per face box:

    - boxes from ``boxes_file``, a json ``{"relative/path.jpg": [x1, y1, x2, y2]}`` (or a
      list of such boxes per image), in image pixels, paths relative to the image folder;
    - for images it does not list, ``box_source='detector'`` (default) runs the project's
      offline face detector (``detector_config``, calibrated to the training box: the
      landmarks' tight square, padded x1.25 later by ``GetBBoxCenterScale``) and falls back
      to the whole image where it finds no face; ``'whole_image'`` always uses the whole
      image (for pools of face crops).

    Unreadable images are skipped with a warning and a count. Keypoints are zeros (there
    are none); ``metainfo`` must be the labelled dataset's (K, flip pairs, dataset name).

    Args:
        boxes_file: optional json of boxes (see above)
        box_source: ``'detector'`` or ``'whole_image'``
        detector_config: a ``configs/face_detection/`` file; default YuNet
        **kwargs: :class:`BaseCocoStyleDataset` arguments (``data_root``,
            ``data_prefix=dict(img=FOLDER)``, ``metainfo``, ``pipeline``)
    """

    def __init__(self,
                 boxes_file: Optional[str] = None,
                 box_source: str = 'detector',
                 detector_config: Optional[str] = None,
                 **kwargs) -> None:
        if box_source not in BOX_SOURCES:
            raise InputError(f'UnlabeledFaceDataset: box_source={box_source!r}, expected one '
                             f'of {BOX_SOURCES}')
        metainfo = kwargs.get('metainfo') or {}
        if 'num_keypoints' not in metainfo and 'from_file' not in metainfo:
            raise InputError('UnlabeledFaceDataset: metainfo must give the landmark set (the '
                             "labelled dataset's metainfo, or dict(from_file=...))")
        self.boxes_file = boxes_file
        self.box_source = box_source
        self.detector_config = detector_config
        kwargs.setdefault('test_mode', True)
        super().__init__(**kwargs)

    def _read_boxes_file(self) -> Dict[str, np.ndarray]:
        """Boxes (N, 4) x1, y1, x2, y2 by image path relative to the image folder."""
        if self.boxes_file is None:
            return {}
        path = self.boxes_file
        if not osp.isabs(path) and self.data_root:
            path = osp.join(self.data_root, path)
        if not osp.isfile(path):
            raise FileNotFoundError(f'UnlabeledFaceDataset: boxes_file {path} not found')
        with open(path) as f:
            raw = json.load(f)
        boxes = {}
        for name, value in raw.items():
            array = np.asarray(value, dtype=np.float32).reshape(-1, 4) if value else \
                np.zeros((0, 4), np.float32)
            if not np.isfinite(array).all() or (array[:, 2:] <= array[:, :2]).any():
                raise InputError(f'{path}: boxes of {name!r} must be finite [x1, y1, x2, y2] '
                                 f'with x2 > x1 and y2 > y1, got {value}')
            boxes[name] = array
        return boxes

    def load_data_list(self) -> List[dict]:
        folder = self.data_prefix['img']
        if not osp.isdir(folder):
            raise FileNotFoundError(f'UnlabeledFaceDataset: image folder {folder} not found')
        names = list_images(folder)
        if not names:
            raise InputError(f'UnlabeledFaceDataset: no images ({"/".join(IMAGE_EXTENSIONS)}) '
                             f'in {folder}: the unlabelled pool is empty')
        given = self._read_boxes_file()
        detector = None
        if self.box_source == 'detector' and any(n not in given for n in names):
            from ..apis.face_detection import FaceDetector
            from ..apis.model_zoo import DEFAULT_FACE_DETECTOR
            detector = FaceDetector.from_config(self.detector_config or DEFAULT_FACE_DETECTOR)

        num_keypoints = self.metainfo['num_keypoints']
        data_list, unreadable, undetected = [], 0, 0
        for img_id, name in enumerate(tqdm(names, desc='unlabelled pool', leave=False)):
            try:
                img = mmcv.imread(osp.join(folder, name))
            except (cv2.error, OSError, ValueError):  # empty or corrupt file
                img = None
            if img is None:
                unreadable += 1
                continue
            height, width = img.shape[:2]
            boxes = given.get(name)
            if boxes is None and detector is not None:
                boxes = detector(img)[0]
                undetected += not len(boxes)
            if boxes is None or not len(boxes):
                boxes = np.array([[0, 0, width, height]], np.float32)
            for box in boxes:
                data_list.append(dict(
                    id=len(data_list), img_id=img_id, img_path=osp.join(folder, name),
                    img_shape=(height, width), bbox=box[None].astype(np.float32),
                    bbox_score=np.ones(1, np.float32),
                    keypoints=np.zeros((1, num_keypoints, 2), np.float32),
                    keypoints_visible=np.zeros((1, num_keypoints), np.float32)))
        if unreadable:
            print_log(f'UnlabeledFaceDataset: skipped {unreadable} of {len(names)} images '
                      f'in {folder} that could not be read', logger='current', level=30)
        if undetected:
            print_log(f'UnlabeledFaceDataset: no face found in {undetected} images; used the '
                      'whole image', logger='current', level=30)
        if not data_list:
            raise InputError(f'UnlabeledFaceDataset: none of the {len(names)} images in '
                             f'{folder} could be read')
        return data_list
