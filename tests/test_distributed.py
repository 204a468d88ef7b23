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


@pytest.mark.parametrize('cuda,expected', [(False, 'gloo'), (True, 'nccl')])
def test_launcher_backend_gloo_on_cpu_nccl_on_gpu(cuda, expected):
    """MMPose's runtime asks for nccl: on a machine without CUDA the plugin's launcher
    fix makes it gloo; where CUDA is available mmengine's own launcher runs, unchanged
    (nccl, set_device). Checked in a fresh interpreter with CUDA availability faked."""
    code = f'''
import torch, torch.distributed as dist
torch.cuda.is_available = lambda: {cuda}
calls = []
dist.init_process_group = lambda backend, **kw: calls.append(backend)
torch.cuda.set_device = lambda device: calls.append('set_device')
torch.cuda.device_count = lambda: 1
import mmpose_pipnet
from mmengine.dist import utils
import os
os.environ.update(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1', MASTER_ADDR='127.0.0.1',
                  MASTER_PORT='29650')
utils._init_dist_pytorch('nccl')
print(calls)
'''
    run = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    calls = eval(run.stdout.strip().splitlines()[-1])
    assert calls[-1] == expected
    assert ('set_device' in calls) == cuda
