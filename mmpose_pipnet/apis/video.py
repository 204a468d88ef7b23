"""Run a :class:`~.face_tracking.FaceTracker` over a video file or a webcam.

Memory stays flat however long the video: the per-frame json is written as the frames
come (into a temporary file renamed at the end, so a reader never sees half of one),
nothing per frame is kept.
"""
import contextlib
import json
import logging
import math
import os
import os.path as osp
import time
from typing import Dict, Optional, Tuple, Union

import cv2
import numpy as np
from mmengine.logging import print_log
from tqdm import tqdm

from ..utils.errors import InputError
from ..utils.files import atomic_path
from .drawing import draw_faces
from .face_tracking import FaceTracker


def video_name(source: Union[str, int]) -> str:
    """How messages name a source: the file's path, or ``'webcam <index>'``."""
    return f'webcam {source}' if isinstance(source, int) else source


def open_video(source: Union[str, int]) -> cv2.VideoCapture:
    """A capture of a video file or a webcam index.

    Raises:
        FileNotFoundError: no such file
        InputError: a file or webcam that cannot be opened (not a video, or a file
            truncated before its index, e.g. an mp4 cut before its ``moov`` atom)
    """
    if isinstance(source, str) and not osp.isfile(source):
        raise FileNotFoundError(f'{source}: no such video file')
    capture = cv2.VideoCapture(source)
    if not capture.isOpened():
        reason = '' if isinstance(source, int) else ' (not a video, or truncated)'
        raise InputError(f'{video_name(source)}: cannot be opened as a video{reason}')
    return capture


def process_video(source: Union[str, int], tracker: FaceTracker,
                  out_video: Optional[str] = None, out_json: Optional[str] = None,
                  show: bool = False, max_frames: Optional[int] = None) -> Dict:
    """Track faces in every frame; write the drawn video (mp4) and per-frame json.

    Timestamps come from the file's frame rate (webcam: the wall clock), so smoothing is
    the same whatever the processing speed. A file that ends before the frame count of
    its header (truncated, damaged) is processed up to there, with a one-line warning
    naming it. Frames that change size are tracked in their own pixels (the tracker
    starts again, :class:`FaceTracker`); the drawn video keeps the first frame's size
    (later frames resized to it).

    Args:
        source: video file or webcam index (``0``)
        tracker: detector + landmarks + smoothing
        out_video: mp4 to write (drawn landmarks, boxes and the processing FPS)
        out_json: json to write: ``[{'frame', 'time', 'faces': [...]}]``, ``time`` in
            seconds, landmarks in the frame's pixels
        show: also show the frames in a window (press q to stop)
        max_frames: stop after this many frames

    Returns:
        dict: ``frames``, ``fps`` (frames processed per second, tracking + drawing),
        ``detector_runs``, ``frames_with_faces``, ``announced_frames`` (the header's
        frame count, ``None`` where it gives none, e.g. a webcam)

    Raises:
        FileNotFoundError, InputError: see :func:`open_video`; ``InputError`` also when
            no frame can be read (a video without frames)
        WriteError: ``out_json`` could not be written (``utils.files.atomic_path``)
    """
    capture = open_video(source)
    rate = capture.get(cv2.CAP_PROP_FPS)
    rate = rate if math.isfinite(rate) and rate > 0 else 25.0
    count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    announced = int(count) if math.isfinite(count) and count > 0 else None
    total = announced if max_frames is None else min(announced or max_frames, max_frames)
    if out_video and osp.dirname(out_video):
        os.makedirs(osp.dirname(out_video), exist_ok=True)
    writer, size, frames, with_faces, exhausted = None, None, 0, 0, False
    start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        json_file = None
        if out_json:  # a temporary file, renamed over out_json when the stack closes
            json_file = stack.enter_context(open(stack.enter_context(atomic_path(out_json)),
                                               'w'))
            json_file.write('[')
        try:
            with tqdm(total=total, desc='frames') as progress:
                while max_frames is None or frames < max_frames:
                    ok, frame = capture.read()
                    if not ok:
                        exhausted = True
                        break
                    timestamp = frames / rate if isinstance(source, str) else time.time()
                    faces = tracker(frame, timestamp)
                    with_faces += len(faces) > 0
                    frames += 1
                    progress.update()
                    if json_file is not None:
                        json_file.write((', ' if frames > 1 else '') + json.dumps(dict(
                            frame=frames - 1, time=round(timestamp, 4),
                            faces=faces.to_list())))
                    if not (out_video or show):
                        continue
                    elapsed = time.perf_counter() - start
                    canvas = draw_faces(frame, faces, fps=frames / elapsed if elapsed > 0
                                        else None)
                    if out_video:
                        if writer is None:
                            size = frame.shape[1::-1]  # (w, h) of the first frame
                            writer = cv2.VideoWriter(
                                out_video, cv2.VideoWriter_fourcc(*'mp4v'), rate, size)
                        writer.write(fit_frame(canvas, size))
                    if show:
                        cv2.imshow('face landmarks', canvas)
                        if cv2.waitKey(1) & 0xFF == ord('q'):
                            break
        finally:
            capture.release()
            if writer is not None:
                writer.release()
            if show:
                cv2.destroyAllWindows()
        if frames == 0:
            raise InputError(f'{video_name(source)}: no frame could be read (a video '
                             f'without frames?)')
        if json_file is not None:
            json_file.write(']')
    # headers of some formats only estimate the count: warn where clearly short
    if exhausted and announced and frames < 0.99 * announced - 1:
        print_log(f'{video_name(source)}: ended after {frames} of the {announced} frames '
                  f'its header announces (truncated or damaged?); processed those',
                  logger='current', level=logging.WARNING)
    return dict(frames=frames, fps=frames / (time.perf_counter() - start),
                detector_runs=tracker.detector_runs, frames_with_faces=with_faces,
                announced_frames=announced)


def fit_frame(canvas: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """``canvas`` (H, W, 3) resized to ``size`` (w, h) pixels where it differs: a video
    writer silently drops a frame of another size than its first."""
    if canvas.shape[1::-1] == size:
        return canvas
    return cv2.resize(canvas, size, interpolation=cv2.INTER_AREA)
