"""Shipped models by name and alias (model-index.yml -> configs/pipnet/metafile.yml), the
files the defaults point at, and the one-line errors for unknown names."""
import os.path as osp
import subprocess
import sys

import pytest
import torch
from torch.serialization import get_unsafe_globals_in_checkpoint

from conftest import REPO
from mmpose_pipnet.apis import (DEFAULT_CHECKPOINT, DEFAULT_CONFIG, DEFAULT_FACE_DETECTOR,
                                config_path, list_models, resolve_model)
from mmpose_pipnet.apis.inferencer import is_pipnet_config, resolve_pose2d
from mmpose_pipnet.utils import InputError


def test_aliases_resolve_to_shipped_files_that_load_weights_only():
    assert resolve_model('pipnet-ytf68') == resolve_model('PIPNet_MBV2_YTF68') == \
        (DEFAULT_CONFIG, DEFAULT_CHECKPOINT)
    assert DEFAULT_CONFIG == osp.join(REPO, 'configs', 'pipnet', 'ytf68_mbv2.py')
    config, weights = resolve_model('pipnet-ytf68-person')
    assert config.endswith('ytf68_recipe/stage3_person_turned.py')
    for model in list_models():
        config, weights = resolve_model(model['Name'])
        assert is_pipnet_config(config)
        assert get_unsafe_globals_in_checkpoint(weights) == []  # plain weights_only load
        assert torch.load(weights, map_location='cpu', weights_only=True)['state_dict']
    assert DEFAULT_FACE_DETECTOR == config_path('face_detection/yunet_face.py')


def test_a_model_name_brings_its_own_weights():
    from mmpose_pipnet.apis import FaceLandmarker
    assert FaceLandmarker('pipnet-ytf68', None).checkpoint == DEFAULT_CHECKPOINT
    person = FaceLandmarker('pipnet-ytf68-person')
    assert person.checkpoint == resolve_model('pipnet-ytf68-person')[1]


def test_unknown_names_and_mmpose_names():
    with pytest.raises(InputError, match="unknown model 'pipnet-wflw'; shipped models: "
                                         'pipnet_mbv2_ytf68, pipnet-ytf68'):
        resolve_model('pipnet-wflw')
    with pytest.raises(InputError, match='no shipped config configs/pipnet/missing.py'):
        config_path('pipnet/missing.py')
    # a name that is not ours goes to MMPose's own alias resolution unchanged
    assert resolve_pose2d('rtmpose-m', None) == ('rtmpose-m', None)
    assert not is_pipnet_config('rtmpose-m')


@pytest.mark.parametrize('args, message', [
    (['--model', 'nope'], "unknown model 'nope'; shipped models: "),
    (['--model', 'configs/pipnet/ytf68_mbv2.py'],
     '--model configs/pipnet/ytf68_mbv2.py: a config file needs --checkpoint'),
    (['--precision', 'int8'], '--precision int8 is for --backend onnxruntime'),
])
def test_cli_model_errors_are_one_line(tmp_path, args, message):
    run = subprocess.run([sys.executable, 'demo/face_demo.py', *args, '--out-dir',
                          str(tmp_path)], cwd=REPO, capture_output=True, text=True)
    assert run.returncode != 0 and 'Traceback' not in run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith(f'face_demo: {message}')
