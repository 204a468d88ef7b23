"""Run-time fixes that the OpenMMLab stack needs on current torch, in one place.

Applied once by ``import mmpose_pipnet`` (configs load the package through
``custom_imports``; tools, demo and tests import it first), idempotent.

1. torchvision from PyPI is a CUDA build whose compiled ops cannot load beside the CPU
   torch, which makes ``import torchvision`` fail: the schemas its meta registrations
   need are defined first (:mod:`mmpose_pipnet_torchvision_guard`, which
   ``tools/setup_env.sh`` also installs as a start-up hook so that import order in user
   code does not matter). A working torchvision is left alone.
2. torch >= 2.6 loads checkpoints with ``weights_only=True``; mmengine 0.10.7 calls
   ``torch.load`` without the argument, so every mmengine checkpoint (it stores numpy
   arrays and a ``HistoryBuffer`` in ``message_hub``) fails with ``Unsupported global``.
   The few globals those checkpoints need are registered as safe.
"""
import numpy as np
import torch
from mmpose_pipnet_torchvision_guard import prepare_torchvision

_APPLIED = False


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
    prepare_torchvision()
    _register_checkpoint_globals()
    _APPLIED = True
