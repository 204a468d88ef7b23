from .hooks import KeypointCountCheckHook
from .stc_loop import STCTrainLoop

__all__ = ['KeypointCountCheckHook', 'STCTrainLoop']
