from .paper_augmentations import (RandomBBoxTranslateRotate, RandomGaussianBlur,
                                  RandomGrayscale, RandomOcclusionBox)

__all__ = ['RandomBBoxTranslateRotate', 'RandomOcclusionBox', 'RandomGaussianBlur',
           'RandomGrayscale']
