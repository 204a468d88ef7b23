from .hooks import KeypointCountCheckHook, RNGStateHook
from .stc_loop import STCTrainLoop

__all__ = ['KeypointCountCheckHook', 'RNGStateHook', 'STCTrainLoop']
