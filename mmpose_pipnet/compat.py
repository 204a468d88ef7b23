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
3. Distributed runs on a machine without CUDA: mmengine 0.10.7's PyTorch launcher calls
   ``torch.cuda.set_device`` unconditionally (on CPU torch: ``AttributeError ...
   _cuda_setDevice``) and MMPose's runtime asks for the nccl backend, which needs GPUs.
   Its runner also gives DistributedDataParallel ``device_ids=[LOCAL_RANK]``, which DDP
   refuses for a CPU module. Where CUDA is unavailable the launcher skips ``set_device``,
   nccl becomes gloo and CPU modules are wrapped without ``device_ids``; on GPU machines
   nothing changes.
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


def _allow_cpu_distributed() -> None:
    if torch.cuda.is_available():
        return
    from mmengine.dist import utils as dist_utils
    launch = dist_utils._init_dist_pytorch

    def init_dist_pytorch(backend: str, init_backend: str = 'torch', **kwargs) -> None:
        if init_backend != 'torch':
            return launch(backend, init_backend, **kwargs)
        torch.distributed.init_process_group(
            backend='gloo' if backend == 'nccl' else backend, **kwargs)

    dist_utils._init_dist_pytorch = init_dist_pytorch

    from mmengine.model import MMDistributedDataParallel
    wrap = MMDistributedDataParallel.__init__

    def wrap_cpu_module(self, module, *args, **kwargs) -> None:
        if all(p.device.type == 'cpu' for p in module.parameters()):
            kwargs.update(device_ids=None, output_device=None)
        wrap(self, module, *args, **kwargs)

    MMDistributedDataParallel.__init__ = wrap_cpu_module


def apply() -> None:
    """Apply every fix once (safe to call again)."""
    global _APPLIED
    if _APPLIED:
        return
    prepare_torchvision()
    _register_checkpoint_globals()
    _allow_cpu_distributed()
    _APPLIED = True
