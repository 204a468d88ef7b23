"""Registration on import, import order, ImageNet weights, converters and tools."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

import mmpose_pipnet
from conftest import REPO, YTF68


def test_modules_are_registered_in_mmpose_registries():
    from mmpose.registry import KEYPOINT_CODECS, METRICS, MODELS, TRANSFORMS
    assert KEYPOINT_CODECS.get('PIPLabel') is mmpose_pipnet.codecs.PIPLabel
    assert MODELS.get('PIPHead') is mmpose_pipnet.models.PIPHead
    assert METRICS.get('NMEFailureAUC') is mmpose_pipnet.evaluation.NMEFailureAUC
    for name in ('RandomBBoxTranslateRotate', 'RandomOcclusionBox', 'RandomGaussianBlur',
                 'RandomGrayscale'):
        assert TRANSFORMS.get(name) is not None, name


@pytest.mark.parametrize('code', [
    # the plugin first (what configs, tools, demo and tests do)
    'import mmpose_pipnet, torchvision, mmpose.models, mmpose.visualization',
    # MMPose first: the start-up hook of tools/setup_env.sh fixes torchvision anyway
    'from mmpose.apis import MMPoseInferencer; import torchvision; import mmpose_pipnet',
])
def test_fresh_interpreter_imports_in_either_order(code):
    out = subprocess.run([sys.executable, '-c', f'{code}; print("ok")'], capture_output=True,
                         text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith('ok')


def test_offline_mobilenet_v2_imagenet_weights_fill_every_backbone_tensor():
    from mmpose.models.backbones import MobileNetV2
    from mmpose_pipnet.models.imagenet_weights import load_pipnet_imagenet
    state = load_pipnet_imagenet('pipnet-imagenet://mobilenet_v2')
    backbone = MobileNetV2(widen_factor=1., out_indices=(7, ))
    missing, unexpected = backbone.load_state_dict(state, strict=False)
    assert not missing and not unexpected
    assert torch.equal(backbone.conv2.conv.weight, state['conv2.conv.weight'])


def test_resnet_imagenet_weights_fall_back_when_offline(monkeypatch):
    from mmpose_pipnet.models import imagenet_weights

    def offline(*args, **kwargs):
        raise OSError('no network')
    monkeypatch.setattr(imagenet_weights, 'load_from_torchvision', offline)
    assert imagenet_weights.load_pipnet_imagenet('pipnet-imagenet://resnet18') == {}
    with pytest.raises(ValueError, match='unknown architecture'):
        imagenet_weights.load_pipnet_imagenet('pipnet-imagenet://vgg16')


def test_pts_converter_and_meanface_tool(tmp_path):
    import cv2
    from mmpose_pipnet.datasets import pts_folder_to_coco
    (tmp_path / 'set').mkdir()
    cv2.imwrite(str(tmp_path / 'set' / 'a.png'), np.zeros((40, 50, 3), np.uint8))
    points = '\n'.join(f'{10 + i} {5 + 2 * i}' for i in range(5))
    (tmp_path / 'set' / 'a.pts').write_text(f'version: 1\nn_points: 5\n{{\n{points}\n}}\n')
    out = tmp_path / 'a.json'
    assert pts_folder_to_coco(str(tmp_path), str(out)) == 1
    data = json.loads(out.read_text())
    ann = data['annotations'][0]
    assert data['images'][0] == dict(id=1, file_name='set/a.png', width=50, height=40)
    assert ann['bbox'] == [8.0, 5.0, 8.0, 8.0]  # square of the longer side (8 px)
    assert ann['center'] == [12.0, 9.0] and ann['scale'] == pytest.approx(0.04)
    (tmp_path / 'set' / 'b.pts').write_text('garbage')
    cv2.imwrite(str(tmp_path / 'set' / 'b.png'), np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match=r'b.pts: not a .pts file'):
        pts_folder_to_coco(str(tmp_path), str(out))


@pytest.mark.shared_data
def test_csv_converter_on_ytf68_val(tmp_path):
    out = tmp_path / 'val.json'
    run = subprocess.run([sys.executable, 'tools/dataset_converters/landmark_csv_to_coco.py',
                          f'{YTF68}/val.csv', '--image-root', f'{YTF68}/images',
                          '--out', str(out)], capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr[-2000:]
    data = json.loads(out.read_text())
    assert len(data['images']) == len(data['annotations']) == 636
    first = data['annotations'][0]
    assert first['num_keypoints'] == 68 and len(first['keypoints']) == 68 * 3
    assert data['images'][0]['file_name'].startswith('test/')
    meanface = tmp_path / 'm.txt'
    run = subprocess.run([sys.executable, 'tools/compute_meanface.py', str(out), '--out',
                          str(meanface)], capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0 and 'K=68' in run.stdout, run.stderr[-2000:]
    assert np.loadtxt(meanface).size == 136


def test_csv_converter_errors(tmp_path):
    from mmpose_pipnet.datasets import landmark_csv_to_coco
    bad = tmp_path / 'bad.csv'
    bad.write_text('image,x0,y0\nimg.jpg,1\n')
    with pytest.raises(ValueError, match=r'bad.csv:2: expected 3 fields, got 2'):
        landmark_csv_to_coco(str(bad), str(tmp_path), str(tmp_path / 'o.json'))
    bad.write_text('file,x0\n')
    with pytest.raises(ValueError, match='expected a header'):
        landmark_csv_to_coco(str(bad), str(tmp_path), str(tmp_path / 'o.json'))
