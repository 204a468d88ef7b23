"""Video: One Euro smoothing, tracking by landmarks, the video demo on clips made here."""
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from conftest import FACE_SAMPLES, REPO, load_tool
from mmpose_pipnet.apis import OneEuroFilter

make_still_clip = load_tool('analysis/_common.py').make_still_clip
landmark_jitter = load_tool('analysis/video_jitter_fps.py').landmark_jitter

PORTRAIT = f'{FACE_SAMPLES}/300w/indoor_029.png'


def test_one_euro_step_response_literal():
    # beta = 0: an exponential filter with alpha = 1 / (1 + tau / dt), tau = 1 / (2 pi fc)
    smoother = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    assert smoother(np.zeros(2), 0.0)[0] == 0
    alpha = 1 / (1 + 1 / (2 * np.pi) / 0.1)  # 0.38586
    np.testing.assert_allclose(smoother(np.ones(2), 0.1), [alpha, alpha], rtol=1e-9)
    np.testing.assert_allclose(smoother(np.ones(2), 0.2), [alpha + (1 - alpha) * alpha] * 2,
                               rtol=1e-9)


def test_one_euro_lags_less_when_fast_and_is_scale_invariant():
    t = np.arange(30) / 30
    ramp = np.stack([t * 300, t * 0], 1)[:, None]  # (T, 1, 2): 300 px/s to the right
    lag = {}
    for beta in (0.0, 2.0):
        smoother = OneEuroFilter(min_cutoff=1.0, beta=beta)
        out = np.array([smoother(x, s, scale=100) for x, s in zip(ramp, t)])
        lag[beta] = ramp[-1, 0, 0] - out[-1, 0, 0]
    assert 0 < lag[2.0] < lag[0.0] / 3
    a, b = OneEuroFilter(beta=2.0), OneEuroFilter(beta=2.0)
    out_a = [a(x, s, scale=100) for x, s in zip(ramp, t)]
    out_b = [b(x * 3, s, scale=300) for x, s in zip(ramp, t)]
    np.testing.assert_allclose(np.array(out_b), 3 * np.array(out_a), rtol=1e-9)
    with pytest.raises(ValueError, match='min_cutoff'):
        OneEuroFilter(min_cutoff=0)


def test_landmark_jitter_literal():
    keypoints = np.zeros((3, 68, 2))
    keypoints[:, 45, 0] = 100  # inter-ocular distance 100 px
    keypoints[1] += [3, 4]  # every point moves 5 px, then back
    assert landmark_jitter(keypoints) == pytest.approx(0.05)


@pytest.fixture(scope='module')
def landmarker():
    from mmpose_pipnet.apis import FaceLandmarker
    return FaceLandmarker()


@pytest.mark.slow
@pytest.mark.shared_data
def test_tracker_keeps_one_id_and_smoothing_reduces_jitter(tmp_path, landmarker):
    from mmpose_pipnet.apis import FaceTracker
    clip = make_still_clip(cv2.imread(PORTRAIT), str(tmp_path / 'still.mp4'), frames=30,
                           noise_sigma=6)
    tracker = FaceTracker(landmarker, redetect_interval=10,
                          smoothing=dict(min_cutoff=1.0, beta=1.0))
    capture = cv2.VideoCapture(clip)
    raw, smoothed, ids = [], [], set()
    for index in range(30):
        ok, frame = capture.read()
        assert ok
        faces = tracker(frame, index / 25)
        assert len(faces) == 1
        ids.add(int(faces.track_ids[0]))
        raw.append(faces.raw_keypoints[0])
        smoothed.append(faces.keypoints[0])
    assert ids == {0} and tracker.detector_runs == 3
    jitter_raw, jitter_smoothed = landmark_jitter(np.array(raw)), landmark_jitter(np.array(smoothed))
    assert jitter_smoothed < 0.6 * jitter_raw, (jitter_raw, jitter_smoothed)


@pytest.mark.slow
@pytest.mark.shared_data
def test_tracker_follows_a_moving_face(landmarker):
    """A face sliding 4 px per frame: each frame's landmarks move with it (no smoothing)."""
    from mmpose_pipnet.apis import FaceTracker
    image = cv2.imread(PORTRAIT)
    tracker = FaceTracker(landmarker, redetect_interval=100)
    first = None
    for index in range(12):
        shift = np.float32([[1, 0, 4 * index], [0, 1, 2 * index]])
        frame = cv2.warpAffine(image, shift, (image.shape[1], image.shape[0]))
        faces = tracker(frame, index / 25)
        assert len(faces) == 1
        if first is None:
            first = faces.keypoints[0]
            continue
        moved = (faces.keypoints[0] - first).mean(0)
        np.testing.assert_allclose(moved, [4 * index, 2 * index], atol=3)
    assert tracker.detector_runs == 1


@pytest.mark.slow
@pytest.mark.shared_data
def test_video_demo_writes_mp4_and_per_frame_json(tmp_path):
    clip = make_still_clip(cv2.imread(PORTRAIT), str(tmp_path / 'clip.mp4'), frames=8)
    run = subprocess.run([sys.executable, 'demo/face_demo.py', clip, '--out-dir',
                          str(tmp_path / 'out'), '--redetect-interval', '4'],
                         cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    video = cv2.VideoCapture(str(tmp_path / 'out' / 'clip_landmarks.mp4'))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 8
    assert (video.get(cv2.CAP_PROP_FRAME_WIDTH), video.get(cv2.CAP_PROP_FRAME_HEIGHT)) == \
        (640, 480)
    records = json.loads((tmp_path / 'out' / 'clip_landmarks.json').read_text())
    assert [r['frame'] for r in records] == list(range(8))
    assert all(len(r['faces']) == 1 and r['faces'][0]['track_id'] == 0 for r in records)
    assert np.array(records[0]['faces'][0]['keypoints']).shape == (68, 2)


def test_unreadable_video_is_a_one_line_error(tmp_path):
    fake = tmp_path / 'fake.mp4'
    fake.write_bytes(b'\x00' * 100)
    run = subprocess.run([sys.executable, 'demo/face_demo.py', str(fake), '--out-dir',
                          str(tmp_path)], cwd=REPO, capture_output=True, text=True)
    assert run.returncode != 0 and 'Traceback' not in run.stderr
    assert run.stderr.strip().splitlines()[-1] == \
        f'face_demo: {fake}: cannot be opened as a video (not a video, or truncated)'


@pytest.mark.slow
def test_tracker_on_frames_without_a_face(landmarker):
    from mmpose_pipnet.apis import FaceTracker
    tracker = FaceTracker(landmarker, redetect_interval=10, smoothing=dict())
    for index in range(3):
        faces = tracker(np.full((240, 320, 3), 90, np.uint8), index / 25)
        assert len(faces) == 0 and faces.keypoints.shape == (0, 68, 2)
    assert tracker.detector_runs == 3  # no track: the detector runs on every frame


class _ScriptedLandmarker:
    """A landmarker stand-in: one face at ``box``; landmark scores from ``scores`` per
    frame; records the ``max_side`` of every detection."""

    def __init__(self, box, scores):
        self.box, self.scores, self.detect_sides, self.frame = np.float32(box), scores, [], 0

    def detect(self, frame, max_side=None):
        self.detect_sides.append(max_side)
        return np.concatenate([self.box, [0.9]])[None].astype(np.float32)

    def landmarks(self, frame, boxes):
        from mmpose_pipnet.apis.face_landmarks import Faces
        x1, y1, x2, y2 = self.box
        corners = np.float32([[x1, y1], [x2, y1], [x1, y2], [x2, y2]])
        score = self.scores[self.frame]
        self.frame += 1
        return Faces(boxes[:, :4], np.ones(len(boxes), np.float32),
                     np.repeat(corners[None], len(boxes), 0),
                     np.full((len(boxes), 4), score, np.float32))


@pytest.mark.parametrize('box, tracked_side', [([250, 90, 400, 240], 320),  # 150 px face
                                               ([300, 200, 360, 260], 512)])  # 60 px face
def test_tracker_redetects_on_a_shrunk_frame_and_on_the_whole_frame_after_a_loss(
        box, tracked_side):
    from mmpose_pipnet.apis import FaceTracker
    scores = [1.0] * 7 + [0.1] + [1.0] * 4  # the face is lost at frame 7
    landmarker = _ScriptedLandmarker(box, scores)
    tracker = FaceTracker(landmarker, redetect_interval=3, redetect_max_side=320,
                          min_redetect_face=48)
    counts = [len(tracker(np.zeros((480, 640, 3), np.uint8), i / 25)) for i in range(12)]
    assert counts == [1] * 7 + [0] + [1] * 4
    # frames 0 (first: whole), 3, 6 (tracked: shrunk so the face stays >= 48 px),
    # 8 (after the loss: whole), 9 (periodic, shrunk)
    assert landmarker.detect_sides == [None, tracked_side, tracked_side, None, tracked_side]
    whole = FaceTracker(_ScriptedLandmarker(box, [1.0] * 4), redetect_interval=3,
                        redetect_max_side=None)
    for i in range(4):
        whole(np.zeros((480, 640, 3), np.uint8), i / 25)
    assert whole.landmarker.detect_sides == [None, None]
