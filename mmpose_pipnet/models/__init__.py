from . import heads, imagenet_weights  # noqa: F401  (registration)
from .heads import PIPHead

__all__ = ['PIPHead']
