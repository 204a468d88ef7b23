from .annotation_check_hook import AnnotationCheckHook
from .keypoint_count_check_hook import KeypointCountCheckHook
from .rng_state_hook import RNGStateHook

__all__ = ['AnnotationCheckHook', 'KeypointCountCheckHook', 'RNGStateHook']
