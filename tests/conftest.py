"""Shared test helpers (paths, tools as modules, training in a subprocess, a PIPHead and its
data samples). Real data comes from ../shared beside the repository (read-only)."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import mmpose_pipnet  # noqa: F401  (registration)
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample
from mmpose.utils import register_all_modules

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED = osp.join(osp.dirname(REPO), 'shared')
FACE_SAMPLES = osp.join(SHARED, 'data', 'mmpose-face-samples')
YTF68 = osp.join(SHARED, 'data', 'ytf68')
CONFIGS = osp.join(REPO, 'configs', 'pipnet')

register_all_modules(init_default_scope=True)


@pytest.fixture(autouse=True)
def mmpose_default_scope():
    """Every test starts in MMPose's registry scope: an inferencer run by an earlier test
    leaves MMDetection's current (MMEngine's process-wide DefaultScope)."""
    init_default_scope('mmpose')


def pytest_collection_modifyitems(config, items):
    if not (osp.isdir(FACE_SAMPLES) and osp.isdir(YTF68)):
        skip = pytest.mark.skip(reason=f'shared data not found at {SHARED}')
        for item in items:
            if 'shared_data' in item.keywords:
                item.add_marker(skip)


def load_tool(path):
    """A script under tools/ imported as a module by its path (``'analysis/benchmark.py'``,
    ``'analysis/_common.py'``), once per session: the analysis logic that only the tools use
    lives with them, not in the package. Importing runs no ``main()``."""
    name = 'tools_' + osp.splitext(path)[0].replace('/', '_')
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, osp.join(REPO, 'tools', path))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return sys.modules[name]


def train_in_subprocess(config, work_dir, resume=False, **kill):
    """tools/train.py in a subprocess with the test hooks importable; ``kill_at_epoch``,
    ``kill_after_epoch`` or ``kill_at_iter`` make it die there by SIGKILL (see
    training_probe.py)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([osp.join(REPO, 'tests'), REPO]))
    for key in ('KILL_AT_EPOCH', 'KILL_AFTER_EPOCH', 'KILL_AT_ITER'):
        env.pop(key, None)
        if kill.get(key.lower()) is not None:
            env[key] = str(kill[key.lower()])
    command = [sys.executable, 'tools/train.py', str(config), '--work-dir', str(work_dir)]
    result = subprocess.run(command + ['--resume'] * resume, cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=900)
    expected = -9 if kill else 0
    assert result.returncode == expected, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def build_head(meanface='300W', k=68, stride=32, size=256, in_channels=8, **kwargs):
    codec = dict(type='PIPLabel', input_size=(size, size), num_keypoints=k,
                 meanface=meanface)
    return MODELS.build(dict(type='PIPHead', in_channels=in_channels, num_keypoints=k,
                             decoder=codec, stride=stride, **kwargs))


def samples_from(labels, weights, flip_indices=None):
    """Data samples with gt_instance_labels as the pipeline packs them (1 instance each)."""
    out = []
    for lab, wei in zip(labels, weights):
        sample = PoseDataSample()
        if lab is not None:
            sample.gt_instance_labels = InstanceData(
                keypoint_labels=torch.as_tensor(lab, dtype=torch.float32)[None],
                keypoint_weights=torch.as_tensor(wei, dtype=torch.float32)[None])
        if flip_indices is not None:
            sample.set_metainfo(dict(flip_indices=flip_indices))
        out.append(sample)
    return out
