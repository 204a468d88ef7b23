"""The lite model (configs/pipnet/ytf68_lite.py, aliases pipnet-ytf68-lite and lite):
its backbone ends at MobileNetV2's 96-channel stage (MobileNetV2Trunk), its landmarks on
real faces stay near the default's, and it gives its published figures on the held-out
people (docs/model_card.md, "The lite model")."""
import os.path as osp
import subprocess
import sys

import cv2
import matplotlib.cbook
import numpy as np
import pytest
import torch
from mmpose.models.backbones import MobileNetV2

from conftest import FACE_SAMPLES, REPO, YTF68, load_tool
from mmpose_pipnet.apis import FaceLandmarker, resolve_model
from mmpose_pipnet.apis.face_detection import landmark_square, match_faces
from mmpose_pipnet.models import MobileNetV2Trunk
from test_default_model import assert_test_tool_prints_figures

_analysis = load_tool('analysis/_common.py')
interocular_nme, load_face_images = _analysis.interocular_nme, _analysis.load_face_images

LITE_CONFIG = osp.join(REPO, 'configs', 'pipnet', 'ytf68_lite.py')
LITE_CHECKPOINT = osp.join(REPO, 'checkpoints', 'pipnet_lite_ytf68.pth')
# faces, NME %, FR@0.1 %, AUC@0.1 of the lite model on the held-out people
HELD_OUT = (750, 4.3257, 1.2000, 0.57046)
# grace_hopper.jpg: the lite model's landmarks against the default's in the default's box,
# inter-ocular NME (measured: 2.70%)
GRACE_MAX_NME = 0.04
# MMPose's single-face fixtures, the default's detector box: per face at most this many
# points above the default's NME, and the mean within this factor of the default's
# (measured: at most 1.51 points above, mean 5.35% against 4.81%: 1.11x)
FIXTURE_MAX_EXTRA_NME = 0.02
FIXTURE_MAX_MEAN_RATIO = 1.25


@pytest.fixture(scope='module')
def landmarkers():
    return FaceLandmarker('pipnet-ytf68-lite'), FaceLandmarker()


def test_the_trunk_drops_the_stages_it_does_not_output():
    trunk, full = MobileNetV2Trunk(out_indices=(4, )), MobileNetV2(out_indices=(4, ))
    assert trunk.layers == ['layer1', 'layer2', 'layer3', 'layer4', 'layer5']
    assert not any(name.startswith(('layer6', 'layer7', 'conv2'))
                   for name, _ in trunk.named_parameters())
    # the kept stages are MMPose's: its weights load and give the same map
    missing, unexpected = trunk.load_state_dict(full.state_dict(), strict=False)
    assert missing == [] and {k.split('.')[0] for k in unexpected} == {'layer6', 'layer7',
                                                                        'conv2'}
    trunk.eval()
    full.eval()
    image = torch.rand(1, 3, 96, 96)
    with torch.no_grad():
        (ours, ), (theirs, ) = trunk(image), full(image)
    assert ours.shape == (1, 96, 6, 6)
    torch.testing.assert_close(ours, theirs)


def test_the_lite_aliases_and_weights(landmarkers):
    config, weights = resolve_model('lite')
    assert (config, weights) == resolve_model('pipnet-ytf68-lite')
    assert (config, weights) == (LITE_CONFIG, LITE_CHECKPOINT)
    assert osp.getsize(weights) < 2e6  # fp16, no unused stages
    lite, _ = landmarkers
    assert lite.model.head.decoder.input_size == (96, 96)


def test_lite_landmarks_near_the_default_on_grace_hopper(landmarkers):
    lite, default = landmarkers
    image = cv2.imread(matplotlib.cbook.get_sample_data('grace_hopper.jpg',
                                                        asfileobj=False))
    faces = default(image)
    assert len(faces) == 1
    lite_faces = lite.landmarks(image, faces.boxes)
    assert np.isfinite(lite_faces.keypoints).all()
    nme = interocular_nme(lite_faces.keypoints, faces.keypoints, np.ones((1, 68)))[0]
    assert nme < GRACE_MAX_NME, nme


@pytest.mark.shared_data
def test_lite_landmarks_near_the_truth_on_fixture_faces(landmarkers):
    lite, default = landmarkers
    images = [image for folder, ann in [('300w', 'test_300w.json'),
                                        ('300wlp', 'test_300wlp.json'),
                                        ('300vw', 'anno_300vw.json')]
              for image in load_face_images(f'{FACE_SAMPLES}/{folder}/{ann}',
                                            f'{FACE_SAMPLES}/{folder}')]
    lite_nme, default_nme = [], []
    for image in images:
        pixels = cv2.imread(image['path'])
        boxes = default.detect(pixels)
        boxes = boxes[match_faces(boxes[:, :4], landmark_square(image['points']))]
        for model, out in ((lite, lite_nme), (default, default_nme)):
            out.extend(interocular_nme(model.landmarks(pixels, boxes).keypoints,
                                       image['points'], image['visible']))
    lite_nme, default_nme = np.array(lite_nme), np.array(default_nme)
    assert len(lite_nme) == 7
    assert (lite_nme - default_nme).max() < FIXTURE_MAX_EXTRA_NME, (lite_nme, default_nme)
    assert lite_nme.mean() < FIXTURE_MAX_MEAN_RATIO * default_nme.mean()


@pytest.mark.slow
@pytest.mark.shared_data
def test_published_numbers_on_held_out_people(tmp_path):
    run = subprocess.run(
        [sys.executable, 'tools/dataset_converters/split_by_person.py', f'{YTF68}/train.csv',
         f'{YTF68}/val.csv', '--out-train', str(tmp_path / 'train.csv'), '--out-held-out',
         str(tmp_path / 'held_out.csv')], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    assert_test_tool_prints_figures(tmp_path, LITE_CONFIG, LITE_CHECKPOINT,
                                    tmp_path / 'held_out.csv', HELD_OUT)
