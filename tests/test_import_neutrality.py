"""`import mmpose_pipnet` registers modules and changes nothing else: the state of MMEngine,
MMPose, MMDetection and torch that earlier versions patched is the same object before and
after, an MMPose face model predicts the same with and without the plugin, and torch's
weights-only loading still refuses a malicious checkpoint with the plugin imported."""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import FACE_SAMPLES, REPO

# Modules and classes whose attributes must be the same objects after the import.
# (Leaf modules: importing a package's submodule adds an attribute to the package.)
WATCHED = """
import copy, importlib, sys
import torch, torch.serialization
import mmengine.dist.utils, mmengine.runner.runner, mmengine.runner.checkpoint
import mmengine.fileio.backends.local_backend, mmengine.model.wrappers.distributed
import mmengine.infer.infer, mmengine.config.utils
import mmpose.apis.inferencers.pose2d_inferencer, mmpose.apis.inferencers.mmpose_inferencer
import mmpose.apis.inferencers.base_mmpose_inferencer
import mmpose.apis.inferencers.utils  # noqa: F401
det_models = sys.modules['mmpose.apis.inferencers.utils.default_det_models']
from mmengine.fileio.backends import LocalBackend
from mmengine.model import MMDistributedDataParallel
from mmengine.runner import Runner
from mmpose.apis.inferencers import MMPoseInferencer, Pose2DInferencer
from mmdet.apis import DetInferencer

MODULES = [torch.serialization, mmengine.dist.utils, mmengine.runner.runner,
           mmengine.runner.checkpoint, mmengine.fileio.backends.local_backend,
           mmengine.model.wrappers.distributed, mmengine.infer.infer, mmengine.config.utils,
           mmpose.apis.inferencers.pose2d_inferencer,
           mmpose.apis.inferencers.mmpose_inferencer,
           mmpose.apis.inferencers.base_mmpose_inferencer, det_models]
CLASSES = [Runner, LocalBackend, MMDistributedDataParallel, MMPoseInferencer,
           Pose2DInferencer, DetInferencer]


def snapshot():
    state = {}
    for module in MODULES:
        for key, value in vars(module).items():
            state[f'{module.__name__}.{key}'] = id(value)
    for cls in CLASSES:
        for klass in cls.__mro__:
            for key, value in vars(klass).items():
                state[f'{cls.__name__}<{klass.__name__}>.{key}'] = id(value)
    state['default_det_models'] = repr(det_models.default_det_models)
    state['MODULE2PACKAGE'] = repr(mmengine.config.utils.MODULE2PACKAGE)
    state['safe_globals'] = repr(sorted(map(repr, torch.serialization.get_safe_globals())))
    state['meta_path'] = repr([type(f).__name__ for f in sys.meta_path])
    return state


before = snapshot()
import mmpose_pipnet  # noqa: E402
import mmpose_pipnet.apis, mmpose_pipnet.engine  # noqa: E402,F401
after = snapshot()
changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
print('CHANGED', changed)
"""


def test_import_leaves_the_stack_unchanged():
    run = subprocess.run([sys.executable, '-c', WATCHED], capture_output=True, text=True,
                         cwd=REPO)
    assert run.returncode == 0, run.stderr[-3000:]
    (line, ) = [l for l in run.stdout.splitlines() if l.startswith('CHANGED')]
    assert line == 'CHANGED []', line


MMPOSE_FACE_MODEL = """
import json, sys
import numpy as np, torch
if sys.argv[1] == 'with':
    import mmpose_pipnet  # noqa: F401
from mmengine.runner import load_checkpoint
from mmpose.apis import MMPoseInferencer, inference_topdown, init_model
from mmpose.utils import register_all_modules
from mmengine.config import Config
register_all_modules()
config = Config.fromfile(sys.argv[2])
config.model.backbone.init_cfg = None  # offline: random weights
torch.manual_seed(0)
model = init_model(config, None, device='cpu')
torch.save(dict(state_dict=model.state_dict()), sys.argv[4])
(sample, ) = inference_topdown(model, sys.argv[3], np.array([[60, 40, 260, 240]]))
inferencer = MMPoseInferencer(pose2d=sys.argv[2], pose2d_weights=sys.argv[4],
                              det_model='whole_image', device='cpu')
(result, ) = inferencer(sys.argv[3])
print('RESULT', json.dumps(dict(topdown=sample.pred_instances.keypoints.tolist(),
      inferencer=result['predictions'][0][0]['keypoints'])))
"""


@pytest.mark.slow
@pytest.mark.shared_data
def test_an_mmpose_face_model_predicts_the_same_with_and_without_the_plugin(tmp_path):
    """MMPose's HRNetV2-W18 300W config, random weights, a user box and the inferencer's
    whole-image path: identical keypoints in a process that never imported the plugin
    and in one that imported it first."""
    import mmpose
    config = osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs', 'face_2d_keypoint',
                      'topdown_heatmap', '300w', 'td-hm_hrnetv2-w18_8xb64-60e_300w-256x256.py')
    image = f'{FACE_SAMPLES}/300w/indoor_029.png'
    results = {}
    for mode in ('without', 'with'):
        run = subprocess.run([sys.executable, '-c', MMPOSE_FACE_MODEL, mode, config, image,
                              str(tmp_path / f'{mode}.pth')], capture_output=True,
                             text=True, cwd=str(tmp_path))
        assert run.returncode == 0, run.stderr[-3000:]
        (line, ) = [l for l in run.stdout.splitlines() if l.startswith('RESULT')]
        results[mode] = json.loads(line[len('RESULT '):])
    np.testing.assert_array_equal(np.array(results['with']['topdown']),
                                  np.array(results['without']['topdown']))
    np.testing.assert_array_equal(np.array(results['with']['inferencer']),
                                  np.array(results['without']['inferencer']))


class RunsCode:
    """Pickles to a call of os.system: what a malicious checkpoint holds."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


class ReachesOsByGetattr:
    """Pickles to a getattr call, the route to any callable that a widened allow-list
    (MMEngine's HistoryBuffer pickles need `getattr`) would open."""

    def __reduce__(self):
        return getattr, ('harmless', 'upper')  # getattr is the global that matters


@pytest.mark.parametrize('payload', ['os.system', 'getattr'])
def test_weights_only_refuses_a_malicious_checkpoint_with_the_plugin(tmp_path, payload):
    import mmpose_pipnet  # noqa: F401
    from mmengine.runner import load_checkpoint
    from mmpose_pipnet.apis import FaceLandmarker
    marker = tmp_path / 'pwned'
    evil = RunsCode(str(marker)) if payload == 'os.system' else ReachesOsByGetattr()
    path = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={}, meta=dict(x=evil)), path)
    with pytest.raises(Exception, match='Weights only load failed'):
        torch.load(path, weights_only=True)
    with pytest.raises(Exception, match='Weights only load failed'):
        load_checkpoint(torch.nn.Linear(2, 2), str(path))
    with pytest.raises(Exception, match='Weights only load failed'):
        FaceLandmarker(checkpoint=str(path))
    assert not marker.exists()
