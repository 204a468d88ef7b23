"""Random-number state in checkpoints, so that a resumed run draws what an uninterrupted
run would have drawn."""
import random
from typing import Dict, Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmpose.registry import HOOKS


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save the Python, NumPy and torch (CPU, and CUDA where present) generator states in
    every checkpoint (key ``rng_state``) and restore them when training resumes from it.

    MMEngine restores model, optimizer, schedulers and the seed, but not the generators'
    positions, so the augmentations after a resume differ from an uninterrupted run's.
    Restoring happens in ``before_train``, after MMEngine re-seeds on resume, and only
    when the runner resumed (its iteration is the checkpoint's), not for ``load_from``.
    Exact with ``num_workers=0`` (the augmentations run in the main process); loader
    workers draw from their own per-worker seeds.
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._loaded: Optional[Dict] = None

    def before_save_checkpoint(self, runner, checkpoint: Dict) -> None:
        state = dict(python=random.getstate(), numpy=np.random.get_state(),
                     torch=torch.get_rng_state())
        if torch.cuda.is_available():
            state['cuda'] = torch.cuda.get_rng_state_all()
        checkpoint['rng_state'] = state

    def after_load_checkpoint(self, runner, checkpoint: Dict) -> None:
        # keep only what before_train needs, not the whole checkpoint
        self._loaded = dict(rng_state=checkpoint.get('rng_state'),
                            iter=checkpoint.get('meta', {}).get('iter'))

    def before_train(self, runner) -> None:
        loaded, self._loaded = self._loaded, None
        if loaded is None or loaded['rng_state'] is None:
            return
        if runner.iter == 0 or loaded['iter'] != runner.iter:
            return  # weights loaded to start a new run (load_from), not a resume
        state = loaded['rng_state']
        random.setstate(state['python'])
        np.random.set_state(state['numpy'])
        torch.set_rng_state(state['torch'])
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state['cuda'])
