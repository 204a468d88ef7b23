from . import transforms  # noqa: F401  (registration)
from .converters import landmark_csv_to_coco, pts_folder_to_coco

__all__ = ['landmark_csv_to_coco', 'pts_folder_to_coco']
