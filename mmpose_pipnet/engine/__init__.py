from .hooks import AnnotationCheckHook, KeypointCountCheckHook, RNGStateHook
from .stc_loop import STCTrainLoop

__all__ = ['AnnotationCheckHook', 'KeypointCountCheckHook', 'RNGStateHook', 'STCTrainLoop']
