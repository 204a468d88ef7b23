"""Run a :class:`~.face_tracking.FaceTracker` over a video file or a webcam."""
import json
import os
import os.path as osp
import time
from typing import Dict, Optional, Union

import cv2
from tqdm import tqdm

from .drawing import draw_faces
from .face_tracking import FaceTracker


def open_video(source: Union[str, int]) -> cv2.VideoCapture:
    """A capture of a video file or a webcam index, or a one-line error naming it."""
    if isinstance(source, str) and not osp.isfile(source):
        raise FileNotFoundError(f'{source}: no such video file')
    capture = cv2.VideoCapture(source)
    if not capture.isOpened():
        what = f'webcam {source}' if isinstance(source, int) else source
        raise ValueError(f'{what}: cannot be opened as a video')
    return capture


def process_video(source: Union[str, int], tracker: FaceTracker,
                  out_video: Optional[str] = None, out_json: Optional[str] = None,
                  show: bool = False, max_frames: Optional[int] = None) -> Dict:
    """Track faces in every frame; write the drawn video (mp4) and per-frame json.

    Timestamps come from the file's frame rate (webcam: the wall clock), so smoothing is
    the same whatever the processing speed.

    Args:
        source: video file or webcam index (``0``)
        tracker: detector + landmarks + smoothing
        out_video: mp4 to write (drawn landmarks, boxes and the processing FPS)
        out_json: json to write: ``[{'frame', 'time', 'faces': [...]}]``
        show: also show the frames in a window (press q to stop)
        max_frames: stop after this many frames

    Returns:
        dict: ``frames``, ``fps`` (frames processed per second, tracking + drawing),
        ``detector_runs``, ``frames_with_faces``
    """
    capture = open_video(source)
    rate = capture.get(cv2.CAP_PROP_FPS) or 25.0
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or None
    if max_frames is not None:
        total = min(total or max_frames, max_frames)
    writer, records, frames, with_faces = None, [], 0, 0
    start = time.perf_counter()
    try:
        with tqdm(total=total, desc='frames') as progress:
            while max_frames is None or frames < max_frames:
                ok, frame = capture.read()
                if not ok:
                    break
                timestamp = frames / rate if isinstance(source, str) else time.time()
                faces = tracker(frame, timestamp)
                with_faces += len(faces) > 0
                frames += 1
                elapsed = time.perf_counter() - start
                fps = frames / elapsed if elapsed > 0 else None
                if out_json:
                    records.append(dict(frame=frames - 1, time=round(timestamp, 4),
                                        faces=faces.to_list()))
                if out_video or show:
                    canvas = draw_faces(frame, faces, fps=fps)
                    if out_video:
                        if writer is None:
                            if osp.dirname(out_video):
                                os.makedirs(osp.dirname(out_video), exist_ok=True)
                            writer = cv2.VideoWriter(out_video, cv2.VideoWriter_fourcc(*'mp4v'),
                                                     rate, (frame.shape[1], frame.shape[0]))
                        writer.write(canvas)
                    if show:
                        cv2.imshow('face landmarks', canvas)
                        if cv2.waitKey(1) & 0xFF == ord('q'):
                            break
                progress.update()
    finally:
        capture.release()
        if writer is not None:
            writer.release()
        if show:
            cv2.destroyAllWindows()
    if frames == 0:
        raise ValueError(f'{source}: no frame could be read')
    if out_json:
        if osp.dirname(out_json):
            os.makedirs(osp.dirname(out_json), exist_ok=True)
        with open(out_json, 'w') as f:
            json.dump(records, f)
    return dict(frames=frames, fps=frames / (time.perf_counter() - start),
                detector_runs=tracker.detector_runs, frames_with_faces=with_faces)
