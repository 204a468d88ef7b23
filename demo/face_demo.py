"""Face landmarks on a photo, a video or a webcam with a PIPNet model, offline.

With no input it runs the bundled model on matplotlib's grace_hopper.jpg. Faces come from
the offline YuNet detector (configs/face_detection/), or from --bbox. Videos and webcams
are tracked (the next frame's box from the landmarks, re-detection every N frames or on
loss) and smoothed (One Euro filter). Writes the drawn picture/mp4 and the predictions as
json into --out-dir. Examples:
    python demo/face_demo.py                          # grace_hopper.jpg
    python demo/face_demo.py photo.jpg --bbox 100 80 260 240
    python demo/face_demo.py clip.mp4 --beta 2 --min-cutoff 0.5
    python demo/face_demo.py --input 0 --show         # webcam
"""
import argparse
import json
import os
import os.path as osp
import sys

import mmpose_pipnet  # noqa: F401  (stack fixes + registration)
from mmpose_pipnet.apis import (DEFAULT_CHECKPOINT, DEFAULT_CONFIG, DEFAULT_FACE_DETECTOR,
                                FaceLandmarker, FaceTracker, read_image)
from mmpose_pipnet.apis.drawing import draw_faces
from mmpose_pipnet.apis.video import open_video, process_video

VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v')


def sample_image() -> str:
    """matplotlib's grace_hopper.jpg (matplotlib ships with the stack)."""
    import matplotlib.cbook
    return str(matplotlib.cbook.get_sample_data('grace_hopper.jpg', asfileobj=False))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('input', nargs='?', help='image or video file (default: '
                        "matplotlib's grace_hopper.jpg)")
    parser.add_argument('--input', dest='input_option', help='same, or a webcam index (0)')
    parser.add_argument('--out-dir', default='work_dirs/demo', help='where results go')
    parser.add_argument('--config', default=DEFAULT_CONFIG, help='PIPNet config')
    parser.add_argument('--checkpoint', default=DEFAULT_CHECKPOINT, help='its weights')
    parser.add_argument('--detector', default=DEFAULT_FACE_DETECTOR,
                        help='face detector config (configs/face_detection/)')
    parser.add_argument('--bbox', type=float, nargs=4, action='append',
                        metavar=('X1', 'Y1', 'X2', 'Y2'),
                        help='a face box in image pixels (repeatable; images only)')
    parser.add_argument('--device', default='cpu', help='cpu, cuda:0, ...')
    parser.add_argument('--backend', choices=['pytorch', 'onnxruntime'], default='pytorch',
                        help='onnxruntime: export --config/--checkpoint to ONNX once '
                        '(work_dirs/onnx/) and run the landmarks in ONNX Runtime')
    video = parser.add_argument_group('video and webcam')
    video.add_argument('--redetect-interval', type=int, default=10,
                       help='run the detector every N frames (and when a face is lost)')
    video.add_argument('--redetect-max-side', type=int, default=320,
                       help='while faces are tracked, re-detect on the frame shrunk to this '
                       'longer side (0: the whole frame)')
    video.add_argument('--min-score', type=float, default=0.3,
                       help='a face whose mean landmark score falls below this is lost')
    video.add_argument('--no-smooth', action='store_true', help='raw landmarks')
    video.add_argument('--min-cutoff', type=float, default=1.0,
                       help='One Euro: cut-off (Hz) when still; lower = smoother')
    video.add_argument('--beta', type=float, default=1.0,
                       help='One Euro: cut-off rise per face-size/s; higher = less lag')
    video.add_argument('--d-cutoff', type=float, default=1.0,
                       help='One Euro: cut-off (Hz) of the speed estimate')
    video.add_argument('--max-frames', type=int, help='stop after N frames')
    video.add_argument('--show', action='store_true', help='show frames in a window')
    args = parser.parse_args()
    if args.input and args.input_option:
        parser.error('give the input once (positional or --input)')
    args.input = args.input or args.input_option
    return args


def exported_onnx(config: str, checkpoint: str) -> str:
    """The ONNX export of config + checkpoint, made once into work_dirs/onnx/."""
    from mmpose_pipnet.deploy import export_onnx
    for name, path in (('config', config), ('checkpoint', checkpoint)):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{name} file {path} not found')
    stems = [osp.splitext(osp.basename(path))[0] for path in (config, checkpoint)]
    onnx_file = osp.join('work_dirs', 'onnx', '__'.join(stems) + '.onnx')
    if not osp.isfile(onnx_file) or osp.getmtime(onnx_file) < max(
            osp.getmtime(config), osp.getmtime(checkpoint)):
        print(f'exporting {checkpoint} to {onnx_file} (once)')
        export_onnx(config, checkpoint, onnx_file)
    return onnx_file


def run(args: argparse.Namespace) -> None:
    source = args.input or sample_image()
    webcam = source.isdigit()
    is_video = webcam or source.lower().endswith(VIDEO_EXTS)
    if args.bbox and is_video:
        raise ValueError('--bbox is for images (videos are tracked)')
    image = None if is_video else read_image(source)
    if is_video and not webcam:
        open_video(source).release()  # a clear error before the model loads
    onnx_file = None
    if args.backend == 'onnxruntime':
        onnx_file = exported_onnx(args.config, args.checkpoint)
    landmarker = FaceLandmarker(args.config, args.checkpoint, args.detector, args.device,
                                onnx_file)
    stem = f'webcam{source}' if webcam else osp.splitext(osp.basename(source))[0]
    out = osp.join(args.out_dir, f'{stem}_landmarks')
    os.makedirs(args.out_dir, exist_ok=True)
    if is_video:
        smoothing = None if args.no_smooth else dict(
            min_cutoff=args.min_cutoff, beta=args.beta, d_cutoff=args.d_cutoff)
        tracker = FaceTracker(landmarker, args.redetect_interval, args.min_score, smoothing,
                              args.redetect_max_side or None)
        stats = process_video(int(source) if webcam else source, tracker, out + '.mp4',
                              out + '.json', show=args.show, max_frames=args.max_frames)
        print(f'{stats["frames"]} frames at {stats["fps"]:.1f} FPS, faces in '
              f'{stats["frames_with_faces"]}; wrote {out}.mp4 and {out}.json')
        return
    faces = (landmarker.landmarks(image, args.bbox) if args.bbox else landmarker(image))
    import cv2
    cv2.imwrite(out + '.jpg', draw_faces(image, faces))
    with open(out + '.json', 'w') as f:
        json.dump(dict(image=source, faces=faces.to_list()), f)
    print(f'{len(faces)} face(s); wrote {out}.jpg and {out}.json')


def main() -> None:
    args = parse_args()
    try:
        run(args)
    except (FileNotFoundError, ValueError) as error:
        sys.exit(f'face_demo: {error}')


if __name__ == '__main__':
    main()
