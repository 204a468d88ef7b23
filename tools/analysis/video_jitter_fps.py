"""Landmark jitter on a still face, with and without smoothing, and the video path's FPS.

Makes a 640x480 clip of one photo (default: matplotlib's grace_hopper.jpg) with fresh
pixel noise every frame, tracks it (YuNet + the bundled PIPNet + One Euro smoothing), and
prints the jitter (mean frame-to-frame landmark motion / inter-ocular distance, %) of the
raw and the smoothed landmarks, then the frames per second of the demo's video path
(decode + track + smooth, and with drawing + mp4 writing), as a table and one JSON line.
Example (the figures of docs/benchmarks.md):
    python tools/analysis/video_jitter_fps.py --frames 150
"""
import argparse
import json
import os.path as osp
import sys
import tempfile
from typing import Tuple

import cv2
import numpy as np

import mmpose_pipnet  # noqa: F401  (registration)
from mmpose_pipnet.apis import (DEFAULT_CHECKPOINT, DEFAULT_CONFIG, DEFAULT_FACE_DETECTOR,
                                FaceLandmarker, FaceTracker, read_image)
from mmpose_pipnet.apis.video import open_video, process_video

sys.path.append(osp.dirname(osp.abspath(__file__)))  # _common.py beside this script
from _common import make_still_clip  # noqa: E402


def landmark_jitter(keypoints: np.ndarray, eye_indices: Tuple[int, int] = (36, 45)) -> float:
    """Mean frame-to-frame landmark motion of one face over inter-ocular distance.

    On a still face any motion is noise, so less is better; smoothing should lower it.
    The units are NME's (68 points: outer eye corners 36 and 45).

    Args:
        keypoints: (T, K, 2) the face's landmarks in T consecutive frames (pixels)

    Returns:
        float: mean over frames and points of ||p_t - p_{t-1}|| / d, a fraction
    """
    if len(keypoints) < 2:
        raise ValueError('jitter needs at least two frames')
    motion = np.linalg.norm(np.diff(keypoints, axis=0), axis=-1).mean(1)
    norm = np.linalg.norm(keypoints[:, eye_indices[0]] - keypoints[:, eye_indices[1]],
                          axis=-1).mean()
    return float(motion.mean() / norm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--image', help="the still face (default: matplotlib's grace_hopper)")
    parser.add_argument('--frames', type=int, default=150)
    parser.add_argument('--noise', type=float, default=4.0, help='pixel noise sigma (grey levels)')
    parser.add_argument('--min-cutoff', type=float, default=1.0)
    parser.add_argument('--beta', type=float, default=1.0)
    parser.add_argument('--d-cutoff', type=float, default=1.0)
    parser.add_argument('--redetect-interval', type=int, default=10)
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args()
    if args.image is None:
        import matplotlib.cbook
        args.image = str(matplotlib.cbook.get_sample_data('grace_hopper.jpg', asfileobj=False))
    landmarker = FaceLandmarker(DEFAULT_CONFIG, DEFAULT_CHECKPOINT, DEFAULT_FACE_DETECTOR,
                                args.device)
    smoothing = dict(min_cutoff=args.min_cutoff, beta=args.beta, d_cutoff=args.d_cutoff)
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_still_clip(read_image(args.image), osp.join(tmp, 'still.mp4'),
                               args.frames, noise_sigma=args.noise)
        tracker = FaceTracker(landmarker, args.redetect_interval, smoothing=smoothing)
        capture, raw, smoothed = open_video(clip), [], []
        rate = capture.get(cv2.CAP_PROP_FPS)
        for index in range(args.frames):
            ok, frame = capture.read()
            faces = tracker(frame, index / rate)
            if len(faces) != 1:
                raise RuntimeError(f'frame {index}: {len(faces)} faces instead of 1')
            raw.append(faces.raw_keypoints[0])
            smoothed.append(faces.keypoints[0])
        capture.release()
        fps = {}
        for name, out in (('track_smooth', None), ('track_smooth_draw_write', 'out.mp4')):
            tracker = FaceTracker(landmarker, args.redetect_interval, smoothing=smoothing)
            fps[name] = process_video(clip, tracker, out and osp.join(tmp, out))['fps']
    figures = dict(jitter_raw=100 * landmark_jitter(np.array(raw)),
                   jitter_smoothed=100 * landmark_jitter(np.array(smoothed)),
                   fps_track_smooth=fps['track_smooth'],
                   fps_track_smooth_draw_write=fps['track_smooth_draw_write'],
                   frames=args.frames, noise=args.noise, **smoothing)
    print('| landmarks | jitter (% of inter-ocular distance per frame) |')
    print('|---|---|')
    print(f"| raw | {figures['jitter_raw']:.3f} |")
    print(f"| One Euro smoothed | {figures['jitter_smoothed']:.3f} |")
    print(f"FPS (640x480, one face): decode + track + smooth "
          f"{figures['fps_track_smooth']:.1f}; with drawing and mp4 writing "
          f"{figures['fps_track_smooth_draw_write']:.1f}")
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v
                      for k, v in figures.items()}))


if __name__ == '__main__':
    main()
