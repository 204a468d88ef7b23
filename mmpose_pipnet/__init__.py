"""mmpose_pipnet: PIPNet (Pixel-in-Pixel Net) for MMPose 1.x.

Importing the package registers its modules in MMPose's, MMDetection's and MMEngine's
registries (configs load it through ``custom_imports``) and changes nothing else: what our
runs need from the stack is scoped to our own classes (``PIPNetRunner``,
``PIPNetInferencer``; docs/reliability.md).
"""
from . import apis, codecs, datasets, engine, evaluation, models  # noqa: F401
from .version import __version__

__all__ = ['__version__']
