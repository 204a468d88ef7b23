"""Video soak and broken videos: a generated 10,000-frame clip through ``process_video``
(tracker + One Euro smoothing + drawn mp4 + json, the CLI's video path) with faces coming
and going; truncated, zero-frame and size-changing videos.

The clip repeats one 1,000-frame script (:data:`SCRIPT`), so the window after frame 1,000
and the last one see the same faces and their memory and time per frame compare.
Figures print with ``pytest tests/test_video_soak.py -s``.
"""
import json
import os
import subprocess
import sys
import time
from typing import Dict, List, Optional, Tuple

import cv2
import matplotlib.cbook
import numpy as np
import pytest

from conftest import REPO
from mmpose_pipnet.apis import FaceTracker
from mmpose_pipnet.apis.video import process_video
from mmpose_pipnet.utils import InputError

FRAME_SIZE = (256, 144)  # (w, h) pixels
FPS = 25.0
CYCLE = 1000  # frames of one script cycle
FACE_PATCH = 72  # side (pixels) of the pasted face patch; the face fills about 56
# (first frame, last frame + 1, face, start (x, y), end (x, y)) of the patch's top-left
# corner within one cycle, pixels; positions move linearly in between. Faces: 'A' stays in
# the left half, 'B' in the right half (it leaves by sliding out of the right edge).
SCRIPT: Tuple[Tuple[int, int, str, Tuple[int, int], Tuple[int, int]], ...] = (
    (100, 400, 'A', (8, 30), (80, 50)),        # one face, moving right and down
    (400, 650, 'A', (80, 50), (20, 40)),       # back to the left ...
    (400, 650, 'B', (176, 20), (150, 60)),     # ... while B has cut in: two faces
    (650, 750, 'A', (20, 40), (20, 40)),       # A still
    (650, 750, 'B', (150, 60), (256, 60)),     # B slides out of the right edge
    (750, 850, 'A', (20, 40), (60, 36)),       # A alone, then cut out at 850
    (900, CYCLE, 'B', (160, 40), (176, 50)),   # B cuts in after 50 empty frames
)


def face_patch() -> np.ndarray:
    """(FACE_PATCH, FACE_PATCH, 3) BGR: the face of matplotlib's grace_hopper.jpg."""
    image = cv2.imread(matplotlib.cbook.get_sample_data('grace_hopper.jpg', asfileobj=False))
    # the face (YuNet's box about x 180-360, y 166-346 of 512 x 600), with some margin
    return cv2.resize(image[140:375, 153:388], (FACE_PATCH, FACE_PATCH),
                      interpolation=cv2.INTER_AREA)


def background() -> np.ndarray:
    """(h, w, 3) BGR: a smooth, face-free, fixed backdrop."""
    width, height = FRAME_SIZE
    y, x = np.mgrid[:height, :width]
    grey = 90 + 40 * np.sin(x / 37.0) * np.cos(y / 23.0)
    return np.repeat(grey[..., None], 3, 2).astype(np.uint8)


def faces_at(frame: int) -> List[Tuple[str, int, int]]:
    """``[(face, x, y)]``: the faces of a frame and their patch's top-left corner."""
    index = frame % CYCLE
    faces = []
    for first, end, name, (x0, y0), (x1, y1) in SCRIPT:
        if first <= index < end:
            t = (index - first) / (end - first)
            faces.append((name, round(x0 + t * (x1 - x0)), round(y0 + t * (y1 - y0))))
    return faces


def render(frame: int, patch: np.ndarray, backdrop: np.ndarray) -> np.ndarray:
    """The BGR frame number ``frame`` of the clip (patches cut at the frame's edges)."""
    canvas = backdrop.copy()
    height, width = canvas.shape[:2]
    for _, x, y in faces_at(frame):
        visible = min(FACE_PATCH, width - x)
        if visible > 0:
            canvas[y:y + FACE_PATCH, x:x + visible] = patch[:, :visible]
    return canvas


def write_clip(path: str, frames: int) -> str:
    """Write the first ``frames`` frames of the scripted clip as an mp4; returns ``path``."""
    patch, backdrop = face_patch(), background()
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), FPS, FRAME_SIZE)
    for frame in range(frames):
        writer.write(render(frame, patch, backdrop))
    writer.release()
    return path


def resident_mib() -> float:
    """This process's resident memory (VmRSS of /proc/self/status), MiB."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
    raise RuntimeError('/proc/self/status has no VmRSS')


class SoakProbe(FaceTracker):
    """A :class:`FaceTracker` that also records, per call (frame): the wall time since the
    previous call (the whole loop of ``process_video``: decoding, tracking, drawing,
    writing), the faces it returned, their landmark error against ``reference`` and the
    resident memory at ``rss_frames``. Arrays are preallocated (no growth of its own)."""

    def __init__(self, *args, frames: int, reference: np.ndarray,
                 rss_frames: Tuple[int, ...], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.reference = reference  # (K, 2) landmarks in the patch, pixels
        self.rss_frames = rss_frames
        self.rss: Dict[int, float] = {}
        self.seconds = np.full(frames, np.nan)  # (frames,) s since the previous call
        self.returned = np.zeros(frames, int)  # (frames,) faces returned
        self.visible = np.zeros(frames, int)  # (frames,) faces wholly in the frame
        self.found = np.zeros(frames, int)  # (frames,) of those, with landmarks on them
        self.error = np.zeros(frames)  # (frames,) worst smoothed NME of a found face
        self.raw_error = np.zeros(frames)  # (frames,) the same, unsmoothed
        self.finite = np.ones(frames, bool)  # (frames,) every landmark finite
        self.ids = set()
        self._last: Optional[float] = None
        self.calls = 0

    def __call__(self, frame: np.ndarray, timestamp: float):
        index = self.calls
        if index in self.rss_frames:
            self.rss[index] = resident_mib()
        faces = super().__call__(frame, timestamp)
        now = time.perf_counter()
        if self._last is not None:
            self.seconds[index] = now - self._last
        self._last = now
        self.calls += 1
        self.returned[index] = len(faces)
        self.finite[index] = np.isfinite(faces.keypoints).all()
        self.ids.update(faces.track_ids.tolist())
        width = frame.shape[1]
        for _, x, y in faces_at(index):
            if x + FACE_PATCH > width:
                continue  # partly out of the frame: no reference
            self.visible[index] += 1
            truth = self.reference + (x, y)
            for smoothed, raw in zip(faces.keypoints, faces.raw_keypoints):
                nme = np.linalg.norm(smoothed - truth, axis=1).mean() / FACE_PATCH
                if nme < 0.25:  # these landmarks belong to this face
                    self.found[index] += 1
                    self.error[index] = max(self.error[index], nme)
                    self.raw_error[index] = max(
                        self.raw_error[index],
                        np.linalg.norm(raw - truth, axis=1).mean() / FACE_PATCH)
                    break
        return faces


def patch_reference(landmarker) -> np.ndarray:
    """(K, 2) landmarks of the face patch in patch pixels, from one still frame."""
    frame = background()
    frame[30:30 + FACE_PATCH, 90:90 + FACE_PATCH] = face_patch()
    faces = landmarker(frame)
    assert len(faces) == 1
    return faces.keypoints[0] - (90, 30)


def run_soak(onnx_file: str, work_dir: str, frames: int = 10 * CYCLE,
             redetect_interval: int = 10) -> Dict:
    """The soak in this process (``test_video_soak`` runs it in a fresh one): write the
    clip, run ``process_video`` on it as the CLI does (drawn mp4 + json), and write its
    figures to ``<work_dir>/soak.json``. Returns them."""
    from mmpose_pipnet.apis import FaceLandmarker
    start = time.perf_counter()
    clip = write_clip(f'{work_dir}/clip.mp4', frames)
    landmarker = FaceLandmarker(onnx_file=onnx_file)
    probe = SoakProbe(landmarker, redetect_interval, smoothing=dict(min_cutoff=1.0, beta=1.0),
                      frames=frames, reference=patch_reference(landmarker),
                      rss_frames=(CYCLE, frames - 1))
    stats = process_video(clip, probe, f'{work_dir}/out.mp4', f'{work_dir}/out.json')
    present = np.array([len(faces_at(i)) for i in range(frames)])
    # faces the detector can have seen at its last run: those of the last interval frames
    recent = np.array([present[max(0, i - redetect_interval):i + 1].max()
                       for i in range(frames)])
    visible = probe.visible > 0
    figures = dict(
        frames=stats['frames'], fps=stats['fps'], detector_runs=stats['detector_runs'],
        rss_mib_at_1000=probe.rss[CYCLE], rss_mib_at_end=probe.rss[frames - 1],
        rss_mib_after=resident_mib(),
        ms_early=1000 * float(np.median(probe.seconds[CYCLE:2 * CYCLE])),
        ms_late=1000 * float(np.median(probe.seconds[-CYCLE:])),
        max_tracks=int(probe.returned.max()),
        tracks_over_recent_faces=int((probe.returned > recent).sum()),
        track_ids=len(probe.ids), appearances=frames // CYCLE * 3,
        visible_faces=int(probe.visible.sum()), found_faces=int(probe.found.sum()),
        max_nme=float(probe.error.max()), max_raw_nme=float(probe.raw_error.max()),
        mean_nme=float(probe.error[visible].mean()), all_finite=bool(probe.finite.all()),
        seconds=time.perf_counter() - start)
    with open(f'{work_dir}/soak.json', 'w') as f:
        json.dump(figures, f)
    return figures


@pytest.fixture(scope='module')
def onnx_file(tmp_path_factory) -> str:
    """The bundled model exported to ONNX (what the CLI's ``--backend onnxruntime``
    runs): 10,000 frames in PyTorch would take about ten times the soak's budget."""
    from mmpose_pipnet.apis.model_zoo import DEFAULT_CHECKPOINT, DEFAULT_CONFIG
    from mmpose_pipnet.deploy import export_onnx
    return export_onnx(DEFAULT_CONFIG, DEFAULT_CHECKPOINT,
                       str(tmp_path_factory.mktemp('onnx') / 'mbv2.onnx'))


@pytest.mark.slow
def test_video_soak_memory_tracks_and_time_stay_flat(onnx_file, tmp_path):
    """10,000 frames (10 cycles of :data:`SCRIPT`: no face, one, two, one sliding out,
    cuts) through ``process_video``: resident memory after frame 1,000 and at the end
    within 5%, tracks never more than the faces of the last re-detection interval, time
    per frame without drift, every face found with its landmarks on it."""
    # A fresh process: its memory is the soak's alone. OMP_WAIT_POLICY: YuNet's OpenMP
    # threads spin-wait by default, which on 2 busy cores made a detection 20x slower
    # (22 -> 400 ms measured); passive waiting gives the time the pipeline itself takes.
    code = ('import sys; sys.path.insert(0, "tests"); import test_video_soak as soak; '
            f'soak.run_soak({onnx_file!r}, {str(tmp_path)!r})')
    run = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True,
                         text=True, timeout=900,
                         env=dict(os.environ, OMP_WAIT_POLICY='PASSIVE'))
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads((tmp_path / 'soak.json').read_text())
    growth = figures['rss_mib_at_end'] / figures['rss_mib_at_1000'] - 1
    drift = figures['ms_late'] / figures['ms_early']
    print(f"\nvideo soak: {figures['frames']} frames of {FRAME_SIZE[0]}x{FRAME_SIZE[1]} in "
          f"{figures['seconds']:.0f} s ({figures['fps']:.0f} FPS, "
          f"{figures['detector_runs']} detector runs); RSS {figures['rss_mib_at_1000']:.0f} "
          f"MiB after frame 1,000, {figures['rss_mib_at_end']:.0f} MiB at the end "
          f"({100 * growth:+.2f}%); per frame {figures['ms_early']:.1f} ms (frames "
          f"1,000-1,999) vs {figures['ms_late']:.1f} ms (last 1,000), ratio {drift:.2f}; "
          f"tracks at most {figures['max_tracks']}, over the recent faces "
          f"{figures['tracks_over_recent_faces']} times, {figures['track_ids']} ids for "
          f"{figures['appearances']} appearances; faces found {figures['found_faces']}/"
          f"{figures['visible_faces']}, NME mean {figures['mean_nme']:.3f} max "
          f"{figures['max_nme']:.3f} (raw max {figures['max_raw_nme']:.3f})")
    assert figures['frames'] == 10 * CYCLE
    assert abs(growth) < 0.05
    assert drift < 1.5
    assert figures['tracks_over_recent_faces'] == 0 and figures['max_tracks'] <= 2
    assert figures['track_ids'] <= 2 * figures['appearances']
    assert figures['found_faces'] >= 0.95 * figures['visible_faces']
    assert figures['all_finite']
    assert figures['max_raw_nme'] < 0.05 and figures['max_nme'] < 0.1
    drawn = cv2.VideoCapture(str(tmp_path / 'out.mp4'))
    assert int(drawn.get(cv2.CAP_PROP_FRAME_COUNT)) == 10 * CYCLE
    with open(tmp_path / 'out.json', 'rb') as f:  # 10,000 records: read only the last
        f.seek(-30000, os.SEEK_END)
        tail = f.read().decode()
    last = json.loads(tail[tail.rindex('{"frame": '):-1])
    assert tail.endswith('}]') and last['frame'] == 10 * CYCLE - 1


class _FramedLandmarker:
    """A landmarker stand-in without a network: one face whose box is ``box`` (x1, y1,
    x2, y2 as fractions of the frame's width and height), found on every frame; its
    landmarks are the box corners, in boxes checked as :class:`FaceLandmarker` checks
    them (a box outside the frame is an ``InputError``). Records the detections."""

    def __init__(self, box=(0.7, 0.2, 0.95, 0.7)) -> None:
        self.box, self.detections = np.float32(box), []

    def detect(self, frame: np.ndarray, max_side: Optional[int] = None) -> np.ndarray:
        height, width = frame.shape[:2]
        self.detections.append((width, height, max_side))
        return np.append(self.box * [width, height, width, height], 0.9)[None]

    def landmarks(self, frame: np.ndarray, boxes: np.ndarray):
        from mmpose_pipnet.apis.face_landmarks import Faces, check_boxes
        boxes = check_boxes(boxes, frame.shape)
        height, width = frame.shape[:2]
        x1, y1, x2, y2 = self.box * [width, height, width, height]
        corners = np.float32([[x1, y1], [x2, y1], [x1, y2], [x2, y2]])
        return Faces(boxes[:, :4], boxes[:, 4], np.repeat(corners[None], len(boxes), 0),
                     np.ones((len(boxes), 4), np.float32))


def _video(path, frames: int, fourcc: str = 'mp4v', size: Tuple[int, int] = FRAME_SIZE):
    """Write ``frames`` grey frames (getting lighter) of ``size`` (w, h); returns path."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), FPS, size)
    for index in range(frames):
        writer.write(np.full((size[1], size[0], 3), 40 + index, np.uint8))
    writer.release()
    return path


def _cut(path, fraction: float):
    """Keep the first ``fraction`` of the file's bytes (a download that stopped)."""
    data = path.read_bytes()
    cut = path.with_name(f'{path.stem}_cut{int(100 * fraction)}{path.suffix}')
    cut.write_bytes(data[:int(len(data) * fraction)])
    return cut


@pytest.mark.parametrize('case', ['zero_bytes', 'mp4_cut_at_1%', 'mp4_cut_at_50%',
                                  'mp4_without_frames', 'avi_without_frames'])
def test_truncated_and_empty_videos_are_one_line_errors_naming_the_file(tmp_path, case):
    """An mp4 keeps its index (``moov``) at the end: cut anywhere, it cannot be opened.
    A container without frames opens but has none to read. Neither leaves a json."""
    if case == 'zero_bytes':
        path, reason = tmp_path / 'empty.mp4', 'cannot be opened as a video'
        path.write_bytes(b'')
    elif case.startswith('mp4_cut'):
        fraction = 0.01 if case.endswith('1%') else 0.5
        path = _cut(_video(tmp_path / 'clip.mp4', 50), fraction)
        reason = 'cannot be opened as a video'
    elif case == 'mp4_without_frames':
        path, reason = _video(tmp_path / 'none.mp4', 0), 'cannot be opened as a video'
    else:
        path, reason = _video(tmp_path / 'none.avi', 0, 'MJPG'), 'no frame could be read'
    tracker = FaceTracker(_FramedLandmarker())
    with pytest.raises(InputError) as error:
        process_video(str(path), tracker, out_json=str(tmp_path / 'out' / 'clip.json'))
    message = str(error.value)
    assert message.startswith(f'{path}: {reason}') and '\n' not in message, message
    assert not (tmp_path / 'out').exists() or not os.listdir(tmp_path / 'out')


def test_cli_video_without_frames_is_one_line(tmp_path):
    """The CLI (``demo/face_demo.py``, ``pipnet-landmarks``) prints the error as its last
    line, with no traceback, and writes no result."""
    path = _video(tmp_path / 'none.avi', 0, 'MJPG')
    run = subprocess.run([sys.executable, 'demo/face_demo.py', str(path), '--out-dir',
                          str(tmp_path / 'out')], cwd=REPO, capture_output=True, text=True)
    assert run.returncode != 0 and 'Traceback' not in run.stderr
    assert run.stderr.strip().splitlines()[-1] == \
        f'face_demo: {path}: no frame could be read (a video without frames?)'
    assert not os.listdir(tmp_path / 'out')


def test_video_cut_mid_stream_is_processed_up_to_the_cut_with_a_warning(tmp_path,
                                                                         monkeypatch):
    """An AVI cut in half (its header first, frames after) gives its readable frames,
    each in the json, and one warning line naming the file and the frame counts."""
    import mmpose_pipnet.apis.video as video
    warnings = []
    monkeypatch.setattr(video, 'print_log', lambda message, **kwargs: warnings.append(
        (message, kwargs.get('level'))))
    whole = _video(tmp_path / 'clip.avi', 50, 'MJPG')
    stats = process_video(str(whole), FaceTracker(_FramedLandmarker()))
    assert (stats['frames'], stats['announced_frames'], warnings) == (50, 50, [])
    cut = _cut(whole, 0.5)
    out_json = tmp_path / 'cut.json'
    stats = process_video(str(cut), FaceTracker(_FramedLandmarker()), out_json=str(out_json))
    assert 10 < stats['frames'] < 30 and stats['announced_frames'] == 50
    records = json.loads(out_json.read_text())
    assert [r['frame'] for r in records] == list(range(stats['frames']))
    assert all(len(r['faces']) == 1 for r in records)
    assert warnings == [(f'{cut}: ended after {stats["frames"]} of the 50 frames its header '
                         f'announces (truncated or damaged?); processed those', 30)]


def test_tracker_starts_again_when_the_frame_size_changes():
    """Boxes of a 640x480 frame lie outside a 320x240 one: the tracks end and the
    detector runs on the whole new frame (before, the stale box was an InputError)."""
    landmarker = _FramedLandmarker()
    tracker = FaceTracker(landmarker, redetect_interval=10)
    ids, corners = [], []
    for width, height in [(640, 480)] * 3 + [(320, 240)] * 3 + [(960, 720)] * 3:
        faces = tracker(np.zeros((height, width, 3), np.uint8), len(ids) / FPS)
        ids.append(faces.track_ids.tolist())
        corners.append(faces.keypoints[0, 3] / [width, height])
    assert ids == [[0]] * 3 + [[1]] * 3 + [[2]] * 3
    assert landmarker.detections == [(640, 480, None), (320, 240, None), (960, 720, None)]
    np.testing.assert_allclose(corners, [[0.95, 0.7]] * 9, rtol=1e-5)


class _ResizingCapture:
    """A ``cv2.VideoCapture`` stand-in whose frames change size: the scripted clip's
    frames 400-411 at 256x144, 12 at 128x72 (faces of 28 px), then 12 at 512x288."""

    sizes = [1.0] * 12 + [0.5] * 12 + [2.0] * 12

    def __init__(self) -> None:
        self.index, self.patch, self.backdrop = 0, face_patch(), background()

    def read(self):
        if self.index == len(self.sizes):
            return False, None
        frame = render(400 + self.index, self.patch, self.backdrop)
        scale = self.sizes[self.index]
        self.index += 1
        return True, cv2.resize(frame, None, fx=scale, fy=scale,
                                interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)

    def get(self, prop: int) -> float:
        known = {cv2.CAP_PROP_FPS: FPS, cv2.CAP_PROP_FRAME_COUNT: len(self.sizes)}
        return known.get(prop, 0.0)

    def release(self) -> None:
        pass


@pytest.mark.slow
def test_video_whose_frames_change_size_is_tracked_in_each_frames_pixels(
        onnx_file, tmp_path, monkeypatch):
    """Both faces found on every frame, their landmarks in that frame's pixels; the drawn
    mp4 has every frame, at the first frame's size."""
    import mmpose_pipnet.apis.video as video
    from mmpose_pipnet.apis import FaceLandmarker
    monkeypatch.setattr(video, 'open_video', lambda source: _ResizingCapture())
    landmarker = FaceLandmarker(onnx_file=onnx_file)
    reference = patch_reference(landmarker)
    out_video, out_json = tmp_path / 'out.mp4', tmp_path / 'out.json'
    stats = process_video('resizing.mp4', FaceTracker(landmarker, smoothing=dict()),
                          str(out_video), str(out_json))
    assert stats['frames'] == len(_ResizingCapture.sizes)
    for record, scale in zip(json.loads(out_json.read_text()), _ResizingCapture.sizes):
        assert len(record['faces']) == 2, record['frame']
        found = [np.array(face['keypoints']) for face in record['faces']]
        truths = [(reference + (x, y)) * scale for _, x, y in faces_at(400 + record['frame'])]
        for points, truth in zip(*(sorted(group, key=lambda p: p[:, 0].mean())
                                   for group in (found, truths))):  # left to right
            nme = np.linalg.norm(points - truth, axis=1).mean() / (FACE_PATCH * scale)
            assert nme < 0.1, (record['frame'], nme)
    drawn = cv2.VideoCapture(str(out_video))
    assert int(drawn.get(cv2.CAP_PROP_FRAME_COUNT)) == len(_ResizingCapture.sizes)
    assert (drawn.get(cv2.CAP_PROP_FRAME_WIDTH), drawn.get(cv2.CAP_PROP_FRAME_HEIGHT)) == \
        FRAME_SIZE
