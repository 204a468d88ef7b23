"""Distributed training and testing through torchrun on a CPU-only machine (gloo)."""
import json
import os
import subprocess
import sys

import pytest
import torch

from conftest import CONFIGS, FACE_SAMPLES, REPO

CONFIG = f'{CONFIGS}/300w_mbv2.py'


def fixture_options(loaders):
    options = []
    for loader in loaders:
        options += [f'{loader}.dataset.data_root={FACE_SAMPLES}/300w',
                    f'{loader}.dataset.ann_file=test_300w.json',
                    f'{loader}.dataset.data_prefix.img=', f'{loader}.batch_size=1',
                    f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    return options


def run(command, port):
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(port))
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU (gloo) path')
def test_two_cpu_processes_train_and_evaluate_like_one(tmp_path):
    """2 processes train an epoch of the 300W fixture (one image each) and evaluate; the
    gathered NME of the checkpoint equals the single-process NME."""
    run(['bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', str(tmp_path / 'train'),
         '--cfg-options', 'train_cfg.max_epochs=1',
         *fixture_options(['train_dataloader', 'val_dataloader', 'test_dataloader'])],
        port=29611)
    checkpoint = str(tmp_path / 'train' / 'epoch_1.pth')
    test_options = ['--cfg-options', *fixture_options(['test_dataloader'])]
    run(['bash', 'tools/dist_test.sh', CONFIG, checkpoint, '2', '--work-dir',
         str(tmp_path / 'dist'), '--out', str(tmp_path / 'dist.json'), *test_options],
        port=29612)
    run([sys.executable, 'tools/test.py', CONFIG, checkpoint, '--work-dir',
         str(tmp_path / 'single'), '--out', str(tmp_path / 'single.json'), *test_options],
        port=29613)
    dist = json.loads((tmp_path / 'dist.json').read_text())
    single = json.loads((tmp_path / 'single.json').read_text())
    assert dist['NME'] == pytest.approx(single['NME'], rel=1e-6)
    assert dist['NME'] > 0


@pytest.mark.parametrize('cuda,expected', [(False, ['gloo', 'mmengine']),
                                            (True, ['mmengine'])])
def test_runner_starts_gloo_on_cpu_and_leaves_gpus_to_mmengine(cuda, expected):
    """MMPose's runtime asks for nccl: without CUDA, PIPNetRunner starts the process group
    with gloo before MMEngine's set-up (which then skips its launcher); with CUDA only
    MMEngine's own set-up runs (nccl, set_device). In a fresh interpreter with CUDA
    availability faked and MMEngine's set-up recorded."""
    code = f'''
import os
import torch, torch.distributed as dist
torch.cuda.is_available = lambda: {cuda}
calls = []
dist.init_process_group = lambda backend, **kw: calls.append(backend)
from mmengine.runner import Runner
from mmpose_pipnet.engine import PIPNetRunner
Runner.setup_env = lambda self, env_cfg: calls.append('mmengine')
runner = object.__new__(PIPNetRunner)
runner._distributed, runner._launcher = True, 'pytorch'
os.environ.update(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1')
runner.setup_env(dict(dist_cfg=dict(backend='nccl', timeout=1800)))
print(calls)
'''
    run = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert eval(run.stdout.strip().splitlines()[-1]) == expected
