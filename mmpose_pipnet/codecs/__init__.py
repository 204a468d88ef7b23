from .pip_label import PIPLabel

__all__ = ['PIPLabel']
