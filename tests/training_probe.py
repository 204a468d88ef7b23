"""A hook for the tests that train in a subprocess (imported by their configs): it records
each training iteration's epoch, iteration, STC tasks and loss keys in WORK_DIR/probe.jsonl,
and SIGKILLs the process, as a crash would, at the start of the epoch named by
``KILL_AT_EPOCH`` (0-based), once ``KILL_AFTER_EPOCH`` epochs are done and checkpointed
(before any evaluation), or after the iteration (0-based, counted over the run) named by
``KILL_AT_ITER``."""
import json
import os
import os.path as osp
import signal

from mmengine.hooks import Hook
from mmpose.registry import HOOKS


@HOOKS.register_module()
class TrainingProbe(Hook):
    priority = 'LOWEST'

    def before_train_epoch(self, runner) -> None:
        if os.environ.get('KILL_AT_EPOCH') == str(runner.epoch):
            os.kill(os.getpid(), signal.SIGKILL)

    def after_train_epoch(self, runner) -> None:
        if os.environ.get('KILL_AFTER_EPOCH') == str(runner.epoch + 1):
            os.kill(os.getpid(), signal.SIGKILL)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        tasks = sorted({s.metainfo.get('stc_task', 'std') for s in data_batch['data_samples']})
        with open(osp.join(runner.work_dir, 'probe.jsonl'), 'a') as f:
            f.write(json.dumps(dict(epoch=runner.epoch, iter=runner.iter, tasks=tasks,
                                    losses=sorted(outputs))) + '\n')
        if os.environ.get('KILL_AT_ITER') == str(runner.iter):
            os.kill(os.getpid(), signal.SIGKILL)
