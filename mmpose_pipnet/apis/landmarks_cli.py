"""Face landmarks on a photo, a folder of photos, a video or a webcam, offline.

With no input it runs the bundled model on matplotlib's grace_hopper.jpg. Faces come from
the offline YuNet detector, or from --bbox. Videos and webcams are tracked and smoothed
(One Euro filter). Writes <name>_landmarks.jpg|mp4 and <name>_landmarks.json to --out-dir,
and with --aligned-crops DIR (images) each face's 112 px ArcFace-aligned crop.
  pipnet-landmarks photo.jpg [--bbox X1 Y1 X2 Y2]   pipnet-landmarks photos/
  pipnet-landmarks clip.mp4 --beta 2     pipnet-landmarks --input 0 --show
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import List, Optional

from tqdm import tqdm

from ..utils.errors import InputError
from .face_landmarks import FaceLandmarker, read_image
from .face_tracking import FaceTracker
from .model_zoo import DEFAULT_FACE_DETECTOR, DEFAULT_MODEL

VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v')
IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')


def sample_image() -> str:
    """matplotlib's grace_hopper.jpg (matplotlib ships with the stack)."""
    import matplotlib.cbook
    return str(matplotlib.cbook.get_sample_data('grace_hopper.jpg', asfileobj=False))


def build_parser(prog: Optional[str] = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[-2:]))
    parser.add_argument('input', nargs='?', help='image, folder of images or video '
                        "(default: matplotlib's grace_hopper.jpg)")
    parser.add_argument('--input', dest='input_option', metavar='SRC', help='same, or a webcam index (0)')
    parser.add_argument('--out-dir', default='work_dirs/demo', metavar='DIR', help='where results go')
    parser.add_argument('--model', default=DEFAULT_MODEL, metavar='NAME',
                        help='shipped model name/alias, or a PIPNet config file')
    parser.add_argument('--config', help=argparse.SUPPRESS)  # the --model of earlier demos
    parser.add_argument('--checkpoint', metavar='PTH', help='weights (default: the model\'s own)')
    parser.add_argument('--detector', default=DEFAULT_FACE_DETECTOR, metavar='CFG',
                        help='face detector config (configs/face_detection/)')
    parser.add_argument('--bbox', type=float, nargs=4, action='append',
                        metavar=('X1', 'Y1', 'X2', 'Y2'),
                        help='a face box, image pixels (repeatable; one image)')
    parser.add_argument('--aligned-crops', metavar='DIR',
                        help='also write each face aligned (ArcFace, 112 px) to '
                             'DIR/<name>_face<i>.png (images)')
    parser.add_argument('--device', default='cpu', metavar='DEV', help='cpu, cuda:0, ...')
    parser.add_argument('--backend', choices=['pytorch', 'onnxruntime'], default='pytorch',
                        metavar='B', help='pytorch, or onnxruntime (exported once)')
    video = parser.add_argument_group('video and webcam')
    video.add_argument('--redetect-interval', type=int, default=10, metavar='N',
                       help='detect every N frames (and when a face is lost)')
    video.add_argument('--redetect-max-side', type=int, default=320, metavar='PX',
                       help='re-detect on the frame shrunk to PX (0: whole)')
    video.add_argument('--min-score', type=float, default=0.3, metavar='S',
                       help='a face scoring below S (mean landmark) is lost')
    video.add_argument('--no-smooth', action='store_true', help='raw landmarks')
    video.add_argument('--min-cutoff', type=float, default=1.0, metavar='HZ',
                       help='One Euro cut-off when still; lower = smoother')
    video.add_argument('--beta', type=float, default=1.0, metavar='B',
                       help='One Euro cut-off rise with speed; higher = less lag')
    video.add_argument('--d-cutoff', type=float, default=1.0, metavar='HZ',
                       help='One Euro cut-off of the speed estimate')
    video.add_argument('--max-frames', type=int, metavar='N', help='stop after N frames')
    video.add_argument('--show', action='store_true', help='show frames in a window')
    return parser


def exported_onnx(config: str, checkpoint: str) -> str:
    """The ONNX export of config + checkpoint, made once into work_dirs/onnx/."""
    from ..deploy import export_onnx
    stems = [osp.splitext(osp.basename(path))[0] for path in (config, checkpoint)]
    onnx_file = osp.join('work_dirs', 'onnx', '__'.join(stems) + '.onnx')
    if not osp.isfile(onnx_file) or osp.getmtime(onnx_file) < max(
            osp.getmtime(config), osp.getmtime(checkpoint)):
        print(f'exporting {checkpoint} to {onnx_file} (once)')
        export_onnx(config, checkpoint, onnx_file)
    return onnx_file


def folder_images(folder: str) -> List[str]:
    """The image files of a folder (not recursive), sorted by name."""
    images = sorted(osp.join(folder, name) for name in os.listdir(folder)
                    if name.lower().endswith(IMAGE_EXTS))
    if not images:
        raise InputError(f'{folder}: no image files ({", ".join(IMAGE_EXTS)})')
    return images


def landmark_image(landmarker: FaceLandmarker, path: str, out_dir: str,
                   boxes: Optional[List] = None, crops_dir: Optional[str] = None) -> int:
    """Write <stem>_landmarks.jpg and .json of one image, and with ``crops_dir`` each
    face's aligned crop as ``<crops_dir>/<stem>_face<i>.png`` (``i``: its index in the
    json's ``faces``, from 0); returns the number of faces."""
    import cv2
    from .drawing import draw_faces
    image = read_image(path)
    faces = landmarker.landmarks(image, boxes) if boxes else landmarker(image)
    stem = osp.splitext(osp.basename(path))[0]
    out = osp.join(out_dir, f'{stem}_landmarks')
    cv2.imwrite(out + '.jpg', draw_faces(image, faces))
    with open(out + '.json', 'w') as f:
        json.dump(dict(image=path, faces=faces.to_list()), f)
    if crops_dir is not None:
        for index, crop in enumerate(faces.aligned_crops(image)):
            cv2.imwrite(osp.join(crops_dir, f'{stem}_face{index}.png'), crop)
    return len(faces)


def run(args: argparse.Namespace) -> None:
    from .video import open_video, process_video
    source = args.input or sample_image()
    webcam = source.isdigit()
    folder = not webcam and osp.isdir(source)
    is_video = webcam or source.lower().endswith(VIDEO_EXTS)
    if args.bbox and (is_video or folder):
        raise InputError('--bbox is for one image (videos are tracked)')
    if args.aligned_crops and is_video:
        raise InputError('--aligned-crops is for images and folders of images, not videos '
                         'or webcams')
    images = folder_images(source) if folder else None
    if not (is_video or folder):
        read_image(source)  # a clear error before the model loads
    if is_video and not webcam:
        open_video(source).release()
    model = args.config or args.model
    if model.endswith('.py') and args.checkpoint is None:
        raise InputError(f'--model {model}: a config file needs --checkpoint (its weights)')
    landmarker = FaceLandmarker(model, args.checkpoint, args.detector, args.device)
    if args.backend == 'onnxruntime':
        onnx_file = exported_onnx(landmarker.config, landmarker.checkpoint)
        landmarker = FaceLandmarker(model, args.checkpoint, args.detector, args.device,
                                    onnx_file)
    if args.aligned_crops and landmarker.num_keypoints != 68:
        raise InputError(f'--aligned-crops needs a 68-point model; {model} predicts '
                         f'{landmarker.num_keypoints} points')
    os.makedirs(args.out_dir, exist_ok=True)
    if args.aligned_crops:
        os.makedirs(args.aligned_crops, exist_ok=True)
    crops = f', and <name>_face<i>.png to {args.aligned_crops}' if args.aligned_crops else ''
    if is_video:
        stem = f'webcam{source}' if webcam else osp.splitext(osp.basename(source))[0]
        out = osp.join(args.out_dir, f'{stem}_landmarks')
        smoothing = None if args.no_smooth else dict(
            min_cutoff=args.min_cutoff, beta=args.beta, d_cutoff=args.d_cutoff)
        tracker = FaceTracker(landmarker, args.redetect_interval, args.min_score, smoothing,
                              args.redetect_max_side or None)
        stats = process_video(int(source) if webcam else source, tracker, out + '.mp4',
                              out + '.json', show=args.show, max_frames=args.max_frames)
        print(f'{stats["frames"]} frames at {stats["fps"]:.1f} FPS, faces in '
              f'{stats["frames_with_faces"]}; wrote {out}.mp4 and {out}.json')
    elif folder:
        faces, failed = 0, []
        for path in tqdm(images, desc='images'):
            try:
                faces += landmark_image(landmarker, path, args.out_dir,
                                        crops_dir=args.aligned_crops)
            except (InputError, FileNotFoundError, ValueError) as error:
                failed.append(f'{error}')
        print(f'{len(images) - len(failed)} image(s), {faces} face(s); wrote '
              f'<name>_landmarks.jpg/.json to {args.out_dir}{crops}')
        if failed:
            print(f'{len(failed)} image(s) could not be read:\n  ' + '\n  '.join(failed))
    else:
        count = landmark_image(landmarker, source, args.out_dir, args.bbox,
                               args.aligned_crops)
        out = osp.join(args.out_dir, f'{osp.splitext(osp.basename(source))[0]}_landmarks')
        print(f'{count} face(s); wrote {out}.jpg and {out}.json{crops}')


def main(argv: Optional[List[str]] = None, prog: Optional[str] = None) -> None:
    """The ``pipnet-landmarks`` console script (and ``demo/face_demo.py``)."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.input and args.input_option:
        parser.error('give the input once (positional or --input)')
    args.input = args.input or args.input_option
    try:
        run(args)
    except (InputError, FileNotFoundError, ValueError) as error:
        sys.exit(f'{parser.prog}: {error}')
