from .hooks import AnnotationCheckHook, KeypointCountCheckHook, RNGStateHook
from .runner import PIPNetRunner, build_runner, find_latest_checkpoint
from .stc_loop import STCTrainLoop

__all__ = ['AnnotationCheckHook', 'KeypointCountCheckHook', 'PIPNetRunner', 'RNGStateHook',
           'STCTrainLoop', 'build_runner', 'find_latest_checkpoint']
