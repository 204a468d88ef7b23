"""A hook for the STC run test (imported by the test's config): it records each training
iteration's epoch, STC tasks and loss keys, and SIGKILLs the process at the start of the
epoch named by ``STC_KILL_AT_EPOCH``, as a crash would."""
import json
import os
import os.path as osp
import signal

from mmengine.hooks import Hook
from mmpose.registry import HOOKS


@HOOKS.register_module()
class STCRunProbe(Hook):
    priority = 'LOWEST'

    def before_train_epoch(self, runner) -> None:
        if os.environ.get('STC_KILL_AT_EPOCH') == str(runner.epoch):
            os.kill(os.getpid(), signal.SIGKILL)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        tasks = sorted({s.metainfo.get('stc_task', 'std') for s in data_batch['data_samples']})
        with open(osp.join(runner.work_dir, 'probe.jsonl'), 'a') as f:
            f.write(json.dumps(dict(epoch=runner.epoch, tasks=tasks,
                                    losses=sorted(outputs))) + '\n')
