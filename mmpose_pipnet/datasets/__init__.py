from . import transforms  # noqa: F401  (registration)
from .converters import landmark_csv_to_coco, pts_folder_to_coco
from .pseudo_labels import STCTaskDataset, write_pseudo_labels
from .unlabeled import UnlabeledFaceDataset

__all__ = ['landmark_csv_to_coco', 'pts_folder_to_coco', 'STCTaskDataset',
           'write_pseudo_labels', 'UnlabeledFaceDataset']
