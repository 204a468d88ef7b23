from .pip_head import PIPHead

__all__ = ['PIPHead']
