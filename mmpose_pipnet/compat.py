"""Run-time fixes that the OpenMMLab stack needs on current torch, in one place.

Applied once by ``import mmpose_pipnet`` (configs load the package through
``custom_imports``; tools, demo and tests import it first), idempotent.

1. torchvision from PyPI is a CUDA build: its compiled ops cannot load beside the CPU
   torch, and ``import torchvision`` then dies in ``torchvision/_meta_registrations.py``
   (``operator torchvision::nms does not exist``), whose fake-kernel registrations for
   ``nms``/``qnms`` are not guarded. Only when that happens, the two schemas are defined
   and torchvision is imported again: pure-Python torchvision then loads (MMPose needs
   ``torchvision.transforms``; NMS comes from ``mmcv.ops``). A working torchvision is
   left alone.
2. torch >= 2.6 loads checkpoints with ``weights_only=True``; mmengine 0.10.7 calls
   ``torch.load`` without the argument, so every mmengine checkpoint (it stores numpy
   arrays and a ``HistoryBuffer`` in ``message_hub``) fails with ``Unsupported global``.
   The few globals those checkpoints need are registered as safe.
"""
import importlib.util
import sys

import numpy as np
import torch

_APPLIED = False
_KEEP_ALIVE: list = []


def _import_torchvision() -> None:
    """Import torchvision; if its compiled ops cannot load, define the two schemas its
    meta registrations need and import it again (pure Python, no torchvision ops)."""
    if importlib.util.find_spec('torchvision') is None:
        return
    try:
        import torchvision  # noqa: F401
        return
    except RuntimeError as err:
        if 'torchvision::nms' not in str(err):
            raise
    for name in [m for m in sys.modules if m == 'torchvision' or m.startswith('torchvision.')]:
        del sys.modules[name]
    lib = torch.library.Library('torchvision', 'FRAGMENT')
    for op in ('nms', 'qnms'):
        lib.define(f'{op}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor')
    _KEEP_ALIVE.append(lib)  # the library object must outlive the process' imports
    import torchvision  # noqa: F401,F811


def _register_checkpoint_globals() -> None:
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is None:  # torch < 2.4 has no weights-only default
        return
    from mmengine.logging import HistoryBuffer
    safe = [np.core.multiarray._reconstruct, np.ndarray, np.dtype,
            np.core.multiarray.scalar, bytes, getattr, HistoryBuffer]
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        safe += [getattr(dtypes, name) for name in dir(dtypes) if name.endswith('DType')]
    add_safe_globals(safe)


def apply() -> None:
    """Apply every fix once (safe to call again)."""
    global _APPLIED
    if _APPLIED:
        return
    _import_torchvision()
    _register_checkpoint_globals()
    _APPLIED = True
