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
4. Checkpoints survive a kill while saving: mmengine 0.10.7 writes files in place, so a
   job killed mid-save leaves a truncated ``epoch_N.pth``, and one killed while writing
   ``last_checkpoint`` leaves it empty (``--resume`` then fails). Local files are written
   to a temporary name and renamed (atomic on POSIX), and ``--resume`` falls back to the
   newest ``epoch_*.pth`` / ``iter_*.pth`` when ``last_checkpoint`` is empty or names a
   missing file.
"""
import glob
import os
import os.path as osp
import re
from typing import Optional

import numpy as np
import torch
from mmpose_pipnet_torchvision_guard import prepare_torchvision

_APPLIED = False


def _register_checkpoint_globals() -> None:
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is None:  # torch < 2.4 has no weights-only default
        return
    from mmengine.logging import HistoryBuffer
    # numpy 2 renamed np.core to np._core (np.core warns, then goes away)
    numpy2 = np.lib.NumpyVersion(np.__version__) >= '2.0.0'
    multiarray = np._core.multiarray if numpy2 else np.core.multiarray
    safe = [multiarray._reconstruct, np.ndarray, np.dtype, multiarray.scalar, bytes, getattr,
            HistoryBuffer]
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


def _atomic_write(filepath: str, obj, mode: str, **open_kwargs) -> None:
    """Write ``obj`` to a temporary file beside ``filepath``, then rename it over."""
    os.makedirs(osp.dirname(osp.abspath(filepath)), exist_ok=True)
    tmp_file = f'{filepath}.tmp{os.getpid()}'
    try:
        with open(tmp_file, mode, **open_kwargs) as f:
            f.write(obj)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_file, filepath)
    finally:
        if osp.exists(tmp_file):
            os.remove(tmp_file)


def find_latest_checkpoint(path: str) -> Optional[str]:
    """The checkpoint named in ``path/last_checkpoint`` if it exists, else the newest
    ``epoch_N.pth`` / ``iter_N.pth`` in ``path`` (by N), else ``None``."""
    save_file = osp.join(path, 'last_checkpoint')
    if osp.isfile(save_file):
        with open(save_file) as f:
            named = f.read().strip()
        if named and osp.isfile(named) and osp.getsize(named) > 0:
            return named
    numbered = [(int(m.group(1)), f) for f in glob.glob(osp.join(path, '*.pth'))
                for m in [re.fullmatch(r'(?:epoch|iter)_(\d+)\.pth', osp.basename(f))] if m]
    return max(numbered)[1] if numbered else None


def _atomic_checkpoints() -> None:
    from mmengine.fileio.backends import LocalBackend
    from mmengine.runner import runner as runner_module

    def put(self, obj: bytes, filepath) -> None:
        _atomic_write(str(filepath), obj, 'wb')

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        _atomic_write(str(filepath), obj, 'w', encoding=encoding)

    LocalBackend.put = put
    LocalBackend.put_text = put_text
    runner_module.find_latest_checkpoint = find_latest_checkpoint


def apply() -> None:
    """Apply every fix once (safe to call again)."""
    global _APPLIED
    if _APPLIED:
        return
    prepare_torchvision()
    _register_checkpoint_globals()
    _allow_cpu_distributed()
    _atomic_checkpoints()
    _APPLIED = True
