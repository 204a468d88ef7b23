from .hooks import KeypointCountCheckHook

__all__ = ['KeypointCountCheckHook']
