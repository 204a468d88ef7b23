"""PIPNetRunner: MMEngine's Runner with what our training runs need, scoped to runs that
ask for it (``runner_type = 'PIPNetRunner'`` in the PIPNet configs; MMPose's and our
``tools/train.py`` build it from that key), so nothing changes for other runners.

1. **Checkpoints that load with ``torch.load(weights_only=True)``** (the default of torch
   >= 2.6), with no extra allowed globals: MMEngine stores numpy arrays and scalars and
   ``HistoryBuffer`` objects (whose pickle calls ``getattr``) in ``meta`` and
   ``message_hub``. They are written as plain lists / dicts (:func:`to_plain`) and turned
   back (:func:`from_plain`) when this runner loads or resumes a checkpoint, so no
   process needs to widen torch's allow-list for them.
2. **Atomic checkpoint files.** MMEngine writes ``epoch_N.pth`` in place, so a run killed
   while saving left a truncated file. Local checkpoints are written to a temporary name
   beside the target and renamed over it (atomic on POSIX). A save that fails (disk
   full: ``OSError``) removes the temporary file and raises :class:`WriteError` naming
   the checkpoint, the cause and the checkpoint ``--resume`` would continue from;
   MMEngine's ``CheckpointHook`` writes ``last_checkpoint`` only after a save succeeds,
   so it still names that previous checkpoint.
3. **Resume after a kill.** ``--resume`` reads ``work_dir/last_checkpoint``; a run killed
   while writing it left it empty (or naming a removed file), and MMEngine then fails.
   This runner falls back to the newest ``epoch_N.pth`` / ``iter_N.pth`` in the work dir
   (:func:`find_latest_checkpoint`), or starts afresh when there is none.
4. **Distributed runs on CPU-only machines.** MMEngine 0.10.7's PyTorch launcher calls
   ``torch.cuda.set_device`` (which fails on CPU torch), MMPose's runtime asks for nccl
   (GPUs only), and the runner gives DDP ``device_ids=[LOCAL_RANK]``, which DDP refuses
   for a CPU module. Without CUDA this runner starts the process group itself with gloo
   and wraps CPU models without ``device_ids``; with CUDA it changes nothing.
5. **Data paths checked first**: a missing annotation file or image folder of the loaders
   that ``train()``, ``val()`` or ``test()`` is about to build is a one-line
   :class:`InputError`, not a traceback from inside the dataset.
"""
import atexit
import datetime
import glob
import os
import os.path as osp
import re
from typing import Any, Dict, Optional

import numpy as np
import torch
from mmengine.dist import is_distributed
from mmengine.logging import HistoryBuffer
from mmengine.model import MMDistributedDataParallel, is_model_wrapper
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ..utils.config_checks import check_data_files
from ..utils.files import WriteError, write_failure

#: Tags of the plain encodings of non-plain values in checkpoints.
NDARRAY_TAG = '__numpy_ndarray__'
HISTORY_BUFFER_TAG = '__mmengine_history_buffer__'


def _map_containers(value: Any, leaf) -> Any:
    """``value`` with ``leaf`` applied through dicts, lists and tuples: where ``leaf``
    returns another object it replaces the value, else containers are walked. Containers
    whose items are unchanged are returned as they are, so dict subclasses
    (``OrderedDict``, ``Counter``: the schedulers' milestones) keep their type and
    content."""
    mapped = leaf(value)
    if mapped is not value:
        return mapped
    if isinstance(value, dict):
        items = {key: _map_containers(item, leaf) for key, item in value.items()}
        if all(items[key] is value[key] for key in value):
            return value
        copy = value.copy()
        copy.update(items)
        return copy
    if isinstance(value, (list, tuple)) and not hasattr(value, '_fields'):
        items = [_map_containers(item, leaf) for item in value]
        if all(new is old for new, old in zip(items, value)):
            return value
        return type(value)(items)
    return value


def _plain_leaf(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return {NDARRAY_TAG: value.tolist(), 'dtype': value.dtype.str,
                'shape': list(value.shape)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, HistoryBuffer):
        log, count = value.data
        return {HISTORY_BUFFER_TAG: True, 'log': log.tolist(), 'count': count.tolist(),
                'max_length': value.max_length}
    return value


def _decoded_leaf(value: Any) -> Any:
    if isinstance(value, dict) and NDARRAY_TAG in value:
        return np.array(value[NDARRAY_TAG], dtype=np.dtype(value['dtype'])).reshape(
            value['shape'])
    if isinstance(value, dict) and value.get(HISTORY_BUFFER_TAG):
        return HistoryBuffer(value['log'], value['count'], value['max_length'])
    return value


def to_plain(value: Any) -> Any:
    """``value`` with numpy arrays, numpy scalars and ``HistoryBuffer`` objects replaced
    by tagged dicts of Python lists / scalars, through dicts, lists and tuples (tensors
    and plain values are kept as they are)."""
    return _map_containers(value, _plain_leaf)


def from_plain(value: Any) -> Any:
    """The inverse of :func:`to_plain` (numpy scalars come back as Python scalars)."""
    return _map_containers(value, _decoded_leaf)


def to_lists(value: Any) -> Any:
    """``value`` with numpy arrays and scalars as Python lists and scalars (untagged: for
    release checkpoints, whose ``meta['dataset_meta']`` MMPose reads as it is)."""
    def leaf(item: Any) -> Any:
        return item.tolist() if isinstance(item, (np.ndarray, np.generic)) else item
    return _map_containers(value, leaf)


def find_latest_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint named in ``work_dir/last_checkpoint`` if that file exists and is not
    empty, else the newest ``epoch_N.pth`` / ``iter_N.pth`` in ``work_dir`` (by N), else
    ``None``."""
    save_file = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(save_file):
        with open(save_file) as f:
            named = f.read().strip()
        if named and osp.isfile(named) and osp.getsize(named) > 0:
            return named
    numbered = [(int(m.group(1)), f) for f in glob.glob(osp.join(work_dir, '*.pth'))
                for m in [re.fullmatch(r'(?:epoch|iter)_(\d+)\.pth', osp.basename(f))] if m]
    return max(numbered)[1] if numbered else None


def build_runner(cfg) -> Runner:
    """The runner a config asks for: ``RUNNERS.build(cfg)`` when it sets ``runner_type``
    (ours: ``'PIPNetRunner'``), else ``Runner.from_cfg(cfg)`` (MMPose's tools/train.py
    rule)."""
    return RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)


def _destroy_process_group() -> None:
    if torch.distributed.is_initialized():
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


class CPUDistributedDataParallel(MMDistributedDataParallel):
    """MMEngine's DDP wrapper that leaves out ``device_ids`` for a module on the CPU
    (DDP accepts them only for single-device CUDA modules)."""

    def __init__(self, module: torch.nn.Module, **kwargs) -> None:
        if all(p.device.type == 'cpu' for p in module.parameters()):
            kwargs.update(device_ids=None, output_device=None)
        super().__init__(module=module, **kwargs)


@RUNNERS.register_module()
class PIPNetRunner(Runner):
    """MMEngine's :class:`~mmengine.runner.Runner` with the five changes of the module
    docstring. Registered in MMEngine's root ``RUNNERS`` (a runner belongs to no
    downstream scope), so ``RUNNERS.build(cfg)`` finds it with or without a default
    scope."""

    def _check_data(self, *names: str) -> None:
        """One-line errors for missing data files of the named dataloader configs (those
        not built yet) before MMEngine builds them."""
        for name in names:
            loader = getattr(self, f'_{name}', None)
            if isinstance(loader, dict):
                check_data_files({name: loader}, [name])

    def train(self) -> torch.nn.Module:
        self._check_data('train_dataloader', 'val_dataloader')
        return super().train()

    def val(self) -> dict:
        self._check_data('val_dataloader')
        return super().val()

    def test(self) -> dict:
        self._check_data('test_dataloader')
        return super().test()

    def setup_env(self, env_cfg: Dict) -> None:
        if self.distributed and not is_distributed() and not torch.cuda.is_available() \
                and self.launcher == 'pytorch':
            dist_cfg = dict(env_cfg.get('dist_cfg', {}))
            backend = dist_cfg.pop('backend', 'gloo')
            timeout = dist_cfg.pop('timeout', None)
            if timeout is not None:
                dist_cfg['timeout'] = datetime.timedelta(seconds=timeout)
            torch.distributed.init_process_group(
                backend='gloo' if backend == 'nccl' else backend,
                rank=int(os.environ['RANK']), world_size=int(os.environ['WORLD_SIZE']),
                **dist_cfg)
            # the group this runner made is closed, once every rank is done (rank 0 may
            # still be saving), before the interpreter tears down: a rank that exits while
            # its gloo peers still talk aborts ('terminate called without an active
            # exception')
            atexit.register(_destroy_process_group)
        super().setup_env(env_cfg)

    def wrap_model(self, model_wrapper_cfg: Optional[Dict], model: torch.nn.Module):
        if (self.distributed and model_wrapper_cfg is None and not is_model_wrapper(model)
                and all(p.device.type == 'cpu' for p in model.parameters())):
            return CPUDistributedDataParallel(
                module=model, broadcast_buffers=False,
                find_unused_parameters=self.cfg.get('find_unused_parameters', False))
        return super().wrap_model(model_wrapper_cfg, model)

    def call_hook(self, fn_name: str, **kwargs) -> None:
        # plain data on disk: decoded before any hook reads a loaded checkpoint, encoded
        # after every hook has added its part to one being saved
        if fn_name == 'after_load_checkpoint':
            kwargs['checkpoint'].update(from_plain(dict(kwargs['checkpoint'])))
        super().call_hook(fn_name, **kwargs)
        if fn_name == 'before_save_checkpoint':
            checkpoint = kwargs['checkpoint']
            checkpoint.update({key: to_plain(value) for key, value in checkpoint.items()
                               if key != 'state_dict'})

    def save_checkpoint(self, out_dir: str, filename: str, *args, **kwargs) -> None:
        if '://' in str(out_dir):  # remote backends: MMEngine's own writing
            return super().save_checkpoint(out_dir, filename, *args, **kwargs)
        tmp_name = f'.{filename}.tmp{os.getpid()}'
        tmp_path, path = osp.join(out_dir, tmp_name), osp.join(out_dir, filename)
        try:
            super().save_checkpoint(out_dir, tmp_name, *args, **kwargs)
            if osp.exists(tmp_path):  # only the main process writes
                os.replace(tmp_path, path)
        except OSError as error:  # disk full, quota, read-only: what --resume still has
            latest = find_latest_checkpoint(self.work_dir)
            kept = (f'the previous checkpoint {latest} is intact and --resume continues '
                    f'from it' if latest else 'there is no earlier checkpoint to resume '
                    'from')
            raise WriteError(f'{write_failure(path, error)}; {kept}') from error
        finally:
            if osp.exists(tmp_path):
                os.remove(tmp_path)

    def load_or_resume(self) -> None:
        if self._resume and self._load_from is None and not self._has_loaded:
            latest = find_latest_checkpoint(self.work_dir)
            if latest is None:
                self.logger.info(f'No checkpoint to resume from in {self.work_dir}: '
                                 f'training starts afresh.')
                self._resume = False
            else:
                self._load_from = latest
        super().load_or_resume()
