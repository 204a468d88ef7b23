from .loading import LoadFaceImage
from .paper_augmentations import (RandomBBoxTranslateRotate, RandomGaussianBlur,
                                  RandomGrayscale, RandomOcclusionBox)

__all__ = ['LoadFaceImage', 'RandomBBoxTranslateRotate', 'RandomOcclusionBox',
           'RandomGaussianBlur', 'RandomGrayscale']
