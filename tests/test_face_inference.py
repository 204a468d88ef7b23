"""Landmarks on whole images, offline: PIPNetInferencer (MMPose's MMPoseInferencer
interface) by alias, with no det_model or with the detector config, user boxes, no-face
images; MMPose's own MMPoseInferencer with our files; FaceLandmarker and the image demo."""
import json
import os.path as osp
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest

from conftest import FACE_SAMPLES, REPO, load_tool
from mmpose_pipnet.apis import (DEFAULT_CHECKPOINT, DEFAULT_CONFIG, DEFAULT_FACE_DETECTOR,
                                PIPNetInferencer)
from mmpose_pipnet.apis.face_detection import landmark_square, match_faces
from mmpose_pipnet.utils import InputError

_analysis = load_tool('analysis/_common.py')
interocular_nme, load_face_images = _analysis.interocular_nme, _analysis.load_face_images

CONFIG, CHECKPOINT = DEFAULT_CONFIG, DEFAULT_CHECKPOINT
YUNET = DEFAULT_FACE_DETECTOR
# Whole images with 68-point ground truth and the largest per-face NME allowed. Measured
# with the bundled model (the turned-face default, 2026-12-03): calibrated YuNet boxes
# give at most 6.8% (mean 4.8%) on the single faces, 12.0% and 7.2% on the two small ones
# (the default before it: 7.7% / 4.8%, 11.8% / 6.9%; the second default: 7.6% / 4.9%; the
# first, without scale jitter: 6.7% / 5.2%; with the first, the whole image as the box
# (MMPose's fallback) gave 12-350%, YuNet's raw, uncalibrated box up to 11.5% (mean 8.3%),
# the calibrated box scaled x0.85 or x1.15 up to 10.3% or 11.6%).
SINGLE_FACE = [('300w', 'test_300w.json'), ('300wlp', 'test_300wlp.json'),
               ('300vw', 'anno_300vw.json')]
SINGLE_FACE_MAX_NME = 0.07
SINGLE_FACE_MEAN_NME = 0.05
# two ~26 px faces in a street scene (COCO-WholeBody): harder, looser bound
TWO_FACES = f'{FACE_SAMPLES}/coco/000000040083.jpg'
TWO_FACES_MAX_NME = 0.12


def single_face_images():
    return [image for folder, ann in SINGLE_FACE
            for image in load_face_images(f'{FACE_SAMPLES}/{folder}/{ann}',
                                          f'{FACE_SAMPLES}/{folder}')]


def two_face_image():
    (image, ) = [im for im in load_face_images(f'{FACE_SAMPLES}/coco/test_coco_wholebody.json',
                                               f'{FACE_SAMPLES}/coco')
                 if im['path'] == TWO_FACES]
    assert len(image['points']) == 2
    return image


def nmes_of_predictions(predictions, image):
    """Per labelled face: NME of the prediction whose box matches it (inf if none)."""
    boxes = np.array([p['bbox'][0] for p in predictions], np.float32).reshape(-1, 4)
    keypoints = np.array([p['keypoints'] for p in predictions], np.float32)
    match = match_faces(boxes, landmark_square(image['points']))
    nme = np.full(len(match), np.inf)
    hit = match >= 0
    if hit.any():
        nme[hit] = interocular_nme(keypoints[match[hit]], image['points'][hit],
                                   image['visible'][hit])
    return nme


@pytest.fixture(scope='module', params=['alias', 'detector config'])
def inferencer(request):
    if request.param == 'alias':  # the shipped model by name, its default detector
        return PIPNetInferencer('pipnet-ytf68', device='cpu')
    return PIPNetInferencer(pose2d=CONFIG, pose2d_weights=CHECKPOINT, det_model=YUNET,
                            device='cpu')


@pytest.mark.slow
@pytest.mark.shared_data
def test_inferencer_finds_every_face_near_the_truth(inferencer):
    images = single_face_images()
    results = inferencer([im['path'] for im in images])
    nmes = np.concatenate([nmes_of_predictions(r['predictions'][0], im)
                           for r, im in zip(results, images)])
    assert len(nmes) == 7
    assert nmes.max() < SINGLE_FACE_MAX_NME, nmes
    assert nmes.mean() < SINGLE_FACE_MEAN_NME, nmes
    image = two_face_image()
    (result, ) = inferencer(TWO_FACES)
    assert len(result['predictions'][0]) == 2
    nmes = nmes_of_predictions(result['predictions'][0], image)
    assert nmes.max() < TWO_FACES_MAX_NME, nmes


@pytest.mark.slow
@pytest.mark.shared_data
def test_whole_image_boxes_fail_the_same_bounds():
    """The bounds above are ones MMPose's whole-image fallback does not meet: it misses
    (no matching box) or exceeds the bound on every face but the 300W close-up portrait
    that fills its photo, where the scale-jitter defaults cope with a box that is too
    large (indoor_020.png: 6.9% with the second default, 8.01% with the third, 7.01% with
    the current one)."""
    from mmpose.apis import MMPoseInferencer
    inferencer = MMPoseInferencer(pose2d=CONFIG, pose2d_weights=CHECKPOINT,
                                  det_model='whole_image', device='cpu')
    met = []
    for image in single_face_images() + [two_face_image()]:
        (result, ) = inferencer(image['path'])
        nmes = nmes_of_predictions(result['predictions'][0], image)
        met += [osp.basename(image['path'])] * int((nmes < SINGLE_FACE_MAX_NME).all())
    assert met in ([], ['indoor_020.png']), met


@pytest.mark.slow
def test_inferencer_gives_nothing_without_a_face(inferencer):
    blank = np.full((240, 320, 3), 127, np.uint8)
    results = list(inferencer([blank, blank]))
    assert [r['predictions'] for r in results] == [[[]], [[]]]


@pytest.mark.slow
@pytest.mark.shared_data
def test_inferencer_uses_user_boxes(inferencer):
    (image, ) = load_face_images(f'{FACE_SAMPLES}/300w/test_300w.json',
                                 f'{FACE_SAMPLES}/300w')[:1]
    box = landmark_square(image['points'])
    decoy = np.array([[0, 0, 120, 120, 0.5]], np.float32)
    boxes = np.concatenate([np.concatenate([box, [[0.9]]], 1), decoy]).astype(np.float32)
    (result, ) = inferencer(image['path'], bboxes=[boxes])
    predictions = result['predictions'][0]
    assert len(predictions) == 2
    np.testing.assert_allclose([p['bbox'][0] for p in predictions], boxes[:, :4], atol=1e-3)
    assert [p['bbox_score'] for p in predictions] == pytest.approx([0.9, 0.5])
    assert nmes_of_predictions(predictions[:1], image)[0] < 0.06
    with pytest.raises(InputError, match=r'bboxes: expected \(N, 4\) or \(N, 5\)'):
        next(inferencer(image['path'], bboxes=[np.zeros((1, 3))]))


@pytest.mark.slow
@pytest.mark.shared_data
def test_face_landmarker_matches_the_inferencer_and_mmposes_own():
    """FaceLandmarker, PIPNetInferencer and MMPose's own MMPoseInferencer (given our
    offline detector: MMPose's default face detector is downloaded) agree."""
    from mmpose.apis import MMPoseInferencer
    from mmpose_pipnet.apis import FaceLandmarker
    faces = FaceLandmarker(CONFIG, CHECKPOINT, YUNET)(TWO_FACES)
    (result, ) = PIPNetInferencer(pose2d=CONFIG, pose2d_weights=CHECKPOINT,
                                  device='cpu')(TWO_FACES)
    (mmpose_result, ) = MMPoseInferencer(pose2d=CONFIG, pose2d_weights=CHECKPOINT,
                                         det_model=YUNET, det_cat_ids=0,
                                         device='cpu')(TWO_FACES)
    for found in (result, mmpose_result):
        predictions = sorted(found['predictions'][0], key=lambda p: -p['bbox_score'])
        np.testing.assert_allclose(faces.keypoints, [p['keypoints'] for p in predictions],
                                   atol=1e-3)
    assert len(faces.to_list()) == 2


def test_faces_json_has_short_numbers():
    """float32 values as Python floats, pixels to 2 decimals, scores to 3: no
    123.45600128173828 in the JSON."""
    from mmpose_pipnet.apis import Faces
    faces = Faces(np.array([[10.123456, 20.5, 30.255, 40]], np.float32),
                  np.array([0.987654], np.float32), np.full((1, 98, 2), 123.456, np.float32),
                  np.full((1, 98), 0.123456, np.float32))  # 98 points: no head pose
    text = json.dumps(faces.to_list())
    (face, ) = json.loads(text)
    assert face['bbox'] == [10.12, 20.5, 30.25, 40.0] and face['bbox_score'] == 0.988
    assert face['keypoints'][0] == [123.46, 123.46] and face['keypoint_scores'][0] == 0.123
    assert len(face['keypoints']) == 98 and 'head_pose' not in face
    assert max(len(decimals) for decimals in re.findall(r'\.(\d+)', text)) <= 3


@pytest.mark.slow
def test_image_demo_with_no_arguments_draws_grace_hopper(tmp_path):
    run = subprocess.run([sys.executable, 'demo/face_demo.py', '--out-dir', str(tmp_path)],
                         cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    picture = cv2.imread(str(tmp_path / 'grace_hopper_landmarks.jpg'))
    assert picture.shape == (600, 512, 3)
    (face, ) = json.loads((tmp_path / 'grace_hopper_landmarks.json').read_text())['faces']
    points = np.array(face['keypoints'])
    # her face (512 x 600 portrait): eyes level, above the nose tip, above the mouth
    right_eye, left_eye = points[36:42].mean(0), points[42:48].mean(0)
    assert 180 < right_eye[0] < 250 < left_eye[0] < 330
    assert abs(right_eye[1] - left_eye[1]) < 15
    assert right_eye[1] < points[30, 1] < points[62, 1] < points[8, 1] < 360


def test_demo_errors_are_one_line(tmp_path):
    not_image = tmp_path / 'x.jpg'
    not_image.write_text('not an image')
    for args, message in (([str(tmp_path / 'missing.jpg')], 'no such image file'),
                          ([str(not_image)], 'not an image OpenCV can read (empty, corrupt or another format)'),
                          ([str(tmp_path / 'clip.mp4')], 'no such video file')):
        run = subprocess.run([sys.executable, 'demo/face_demo.py', *args, '--out-dir',
                              str(tmp_path)], cwd=REPO, capture_output=True, text=True)
        assert run.returncode != 0
        assert run.stderr.strip().splitlines()[-1] == f'face_demo: {args[0]}: {message}'
        assert 'Traceback' not in run.stderr


@pytest.mark.slow
@pytest.mark.shared_data
def test_inferencer_on_a_video(tmp_path):
    make_still_clip = _analysis.make_still_clip
    clip = make_still_clip(cv2.imread(f'{FACE_SAMPLES}/300w/indoor_029.png'),
                           str(tmp_path / 'clip.mp4'), frames=4)
    inferencer = PIPNetInferencer(pose2d=CONFIG, pose2d_weights=CHECKPOINT, device='cpu')
    results = list(inferencer(clip))
    assert len(results) == 4
    assert all(len(r['predictions'][0]) == 1 for r in results)
