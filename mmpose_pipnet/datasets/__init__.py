from . import transforms  # noqa: F401  (registration)
from .converters import landmark_csv_to_coco, pts_folder_to_coco
from .person_split import person_of, split_csv_by_person

__all__ = ['landmark_csv_to_coco', 'pts_folder_to_coco', 'person_of', 'split_csv_by_person']
