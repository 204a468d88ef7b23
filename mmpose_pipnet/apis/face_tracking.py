"""Face landmarks over a video: detect, track by landmarks, smooth.

Each frame, every tracked face's box is the square around its landmarks in the previous
frame (the PIPNet box convention, so no detector is needed between re-detections). The
detector runs on the whole frame on the first frame and on the frame after a track is
lost (its mean landmark score fell below ``min_score``); while every face is tracked it
runs every ``redetect_interval`` frames on the frame shrunk to ``redetect_max_side``
pixels (never so far that a tracked face becomes smaller than ``min_redetect_face``
pixels): it only has to find new faces there, and on a 640x480 frame YuNet takes about
a quarter of the full-size time. Its boxes are matched to the tracks
(:func:`~.face_detection.match_faces`), so a face keeps its id, unmatched detections
start new tracks and tracks the detector no longer sees end. The landmarks of each track
are smoothed with a One Euro filter.

A frame of another size than the previous one (a stream whose resolution changes) ends
every track: their boxes are in the old frame's pixels. The detector then runs on the
whole new frame, as on the first.

Memory and time per frame stay flat over any number of frames: the tracker keeps only
the open tracks and their filters, and there are never more tracks than the faces the
detector found at its last run (between runs tracks only end; ``tests/test_video_soak.py``).
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

from .face_detection import check_bgr_image, landmark_square, match_faces
from .face_landmarks import FaceLandmarker, Faces
from .smoothing import OneEuroFilter


@dataclass
class _Track:
    track_id: int
    box: np.ndarray  # (4,) x1, y1, x2, y2 pixels for the next frame
    smoother: Optional[OneEuroFilter] = None


@dataclass
class TrackedFaces(Faces):
    """:class:`Faces` of one frame plus ``track_ids`` (N,) and the raw (unsmoothed)
    ``raw_keypoints`` (N, K, 2)."""
    track_ids: np.ndarray = None
    raw_keypoints: np.ndarray = None

    def to_list(self) -> List[Dict]:
        faces = super().to_list()
        for face, track_id in zip(faces, self.track_ids):
            face['track_id'] = int(track_id)
        return faces


class FaceTracker:
    """Track faces and their landmarks frame by frame.

    Args:
        landmarker: detector + PIPNet model
        redetect_interval: run the detector every this many frames (1: every frame)
        min_score: a track whose mean landmark score falls below this is lost
        smoothing: One Euro filter arguments (``min_cutoff``, ``beta``, ``d_cutoff``), or
            ``None`` for raw landmarks
        redetect_max_side: longer frame side (pixels) of the periodic re-detections while
            faces are tracked; ``None``: the whole frame
        min_redetect_face: the smallest tracked face side (pixels) a shrunk re-detection
            may leave, so that it still sees every tracked face
    """

    def __init__(self, landmarker: FaceLandmarker, redetect_interval: int = 10,
                 min_score: float = 0.3, smoothing: Optional[Dict] = None,
                 redetect_max_side: Optional[int] = 320, min_redetect_face: int = 48) -> None:
        if redetect_interval < 1:
            raise ValueError(f'redetect_interval={redetect_interval} must be >= 1')
        self.landmarker = landmarker
        self.redetect_interval = redetect_interval
        self.min_score = min_score
        self.smoothing = smoothing
        self.redetect_max_side = redetect_max_side
        self.min_redetect_face = min_redetect_face
        self._tracks: List[_Track] = []
        self._lost = True  # no face yet: detect on the whole frame
        self._shape: Optional[Tuple[int, ...]] = None  # (H, W) of the previous frame
        self._next_id = 0
        self._frame = 0
        self.detector_runs = 0

    def _detection_side(self, frame: np.ndarray) -> Optional[int]:
        """The longer side to detect at: ``None`` (whole frame) after a loss, else shrunk
        to ``redetect_max_side`` but keeping the smallest track ``min_redetect_face``."""
        if self._lost or self.redetect_max_side is None:
            return None
        long_side = max(frame.shape[:2])
        smallest = max(1.0, min(float(t.box[2] - t.box[0]) for t in self._tracks))
        scale = max(self.redetect_max_side / long_side, self.min_redetect_face / smallest)
        return None if scale >= 1 else int(round(long_side * scale))

    def _redetect(self, frame: np.ndarray) -> None:
        detections = self.landmarker.detect(frame, self._detection_side(frame))
        self.detector_runs += 1
        track_boxes = np.array([t.box for t in self._tracks]).reshape(-1, 4)
        match = match_faces(detections[:, :4], track_boxes)
        tracks = [t for t, m in zip(self._tracks, match) if m >= 0]
        for index in sorted(set(range(len(detections))) - set(match.tolist())):
            tracks.append(_Track(self._next_id, detections[index, :4]))
            self._next_id += 1
        self._tracks = tracks

    def __call__(self, frame: np.ndarray, timestamp: float) -> TrackedFaces:
        """Landmarks of the faces in one (H, W, 3) BGR uint8 frame at ``timestamp``
        seconds (increasing), in the frame's pixels.

        Raises:
            InputError: not such a frame (one line)
        """
        check_bgr_image(frame)
        if frame.shape[:2] != self._shape:  # the first frame, or a new size
            self._tracks, self._lost, self._shape = [], True, frame.shape[:2]
        if self._lost or self._frame % self.redetect_interval == 0:
            self._redetect(frame)
        self._frame += 1
        boxes = np.array([t.box for t in self._tracks], np.float32).reshape(-1, 4)
        faces = self.landmarker.landmarks(frame, boxes)
        alive = faces.keypoint_scores.mean(1) >= self.min_score if len(faces) else \
            np.zeros(0, bool)
        self._lost = not alive.all() or not len(alive)
        self._tracks = [t for t, ok in zip(self._tracks, alive) if ok]
        raw = faces.keypoints[alive]
        smoothed = raw.copy()
        next_boxes = landmark_square(raw)
        for i, track in enumerate(self._tracks):
            track.box = next_boxes[i]
            if self.smoothing is not None:
                track.smoother = track.smoother or OneEuroFilter(**self.smoothing)
                side = float(next_boxes[i, 2] - next_boxes[i, 0])
                smoothed[i] = track.smoother(raw[i], timestamp, scale=side)
        return TrackedFaces(boxes=faces.boxes[alive], box_scores=faces.box_scores[alive],
                            keypoints=smoothed.astype(np.float32),
                            keypoint_scores=faces.keypoint_scores[alive],
                            track_ids=np.array([t.track_id for t in self._tracks], int),
                            raw_keypoints=raw)
