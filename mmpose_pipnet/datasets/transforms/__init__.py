from .label_origin_flip import RandomFlipWithLabelOrigin
from .loading import LoadFaceImage
from .paper_augmentations import (RandomBBoxTranslateRotate, RandomGaussianBlur,
                                  RandomGrayscale, RandomOcclusionBox)

__all__ = ['LoadFaceImage', 'RandomFlipWithLabelOrigin', 'RandomBBoxTranslateRotate',
           'RandomOcclusionBox', 'RandomGaussianBlur', 'RandomGrayscale']
