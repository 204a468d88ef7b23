"""mmpose_pipnet: PIPNet (Pixel-in-Pixel Net) for MMPose 1.x.

Importing the package applies the stack's run-time fixes (:mod:`.compat`) and registers
its modules into MMPose's registries (configs use ``custom_imports``).
"""
from . import compat

compat.apply()

from . import apis, codecs, datasets, engine, evaluation, models  # noqa: E402,F401
from .version import __version__  # noqa: E402

__all__ = ['__version__']
