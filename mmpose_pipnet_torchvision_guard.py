"""Let torchvision import beside a torch whose build its compiled ops do not match.

PyPI's torchvision is a CUDA build. Beside the CPU torch its ``_C`` library cannot load,
and ``import torchvision`` then dies in ``torchvision/_meta_registrations.py``
(``operator torchvision::nms does not exist``): its fake-kernel registrations for ``nms``
and ``qnms`` are not guarded by ``torchvision.extension._has_ops()``. Defining those two
schemas before torchvision's first import lets pure-Python torchvision load (MMPose needs
``torchvision.transforms``; NMS comes from ``mmcv.ops``). Nothing is done where ``_C``
loads.

A top-level module, so that importing it is cheap and does not import the plugin:
``tools/setup_env.sh`` installs a start-up hook (a ``.pth`` line calling :func:`install`)
that runs :func:`prepare_torchvision` the moment anything first imports torchvision, so
the order of imports in user code does not matter. ``import mmpose_pipnet`` also calls it
(``mmpose_pipnet.compat``) for environments set up without the hook.
"""
import glob
import importlib.abc
import importlib.machinery
import os.path as osp
import sys
from typing import List, Optional

_KEEP_ALIVE: List[object] = []  # the schema library must live as long as the process


def prepare_torchvision() -> bool:
    """Define torchvision's ``nms``/``qnms`` schemas if its ``_C`` cannot load.

    Returns True when the schemas were defined (a no-op, returning False, when torchvision
    is absent, already imported, or its compiled ops load).
    """
    if 'torchvision' in sys.modules or _KEEP_ALIVE:
        return False
    spec = importlib.machinery.PathFinder.find_spec('torchvision')
    if spec is None or spec.origin is None:
        return False
    import torch
    for library in glob.glob(osp.join(osp.dirname(spec.origin), '_C*.so')):
        try:
            torch.ops.load_library(library)
            return False  # the real ops are registered
        except OSError:
            break
    fragment = torch.library.Library('torchvision', 'FRAGMENT')
    for op in ('nms', 'qnms'):
        fragment.define(f'{op}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor')
    _KEEP_ALIVE.append(fragment)
    return True


class _TorchvisionImportHook(importlib.abc.MetaPathFinder):
    """Runs :func:`prepare_torchvision` once, just before torchvision's first import."""

    def find_spec(self, name: str, path: Optional[object] = None,
                  target: Optional[object] = None) -> None:
        if name == 'torchvision':
            uninstall()
            prepare_torchvision()
        return None  # the regular finders import torchvision


def install() -> None:
    """Put the import hook first on ``sys.meta_path`` (idempotent)."""
    if 'torchvision' not in sys.modules and not any(
            isinstance(f, _TorchvisionImportHook) for f in sys.meta_path):
        sys.meta_path.insert(0, _TorchvisionImportHook())


def uninstall() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _TorchvisionImportHook)]
