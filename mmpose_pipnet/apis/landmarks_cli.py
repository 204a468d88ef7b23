"""Face landmarks on a photo, a folder of photos, a video or a webcam, offline.

With no input it runs the bundled model on matplotlib's grace_hopper.jpg. Faces come from
the offline YuNet detector, or from --bbox. Videos and webcams are tracked and smoothed
(One Euro filter). Writes <name>_landmarks.jpg|mp4 and <name>_landmarks.json to --out-dir,
and with --aligned-crops DIR (images) each face's 112 px ArcFace-aligned crop. A folder
also gives <folder>_landmarks.jsonl, one line per image written as it is done, so --resume
continues a killed run; under torchrun the folder is split across the processes.
  pipnet-landmarks photo.jpg [--bbox X1 Y1 X2 Y2]   pipnet-landmarks photos/
  pipnet-landmarks clip.mp4 --beta 2     pipnet-landmarks --input 0 --show
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Set, TextIO, Tuple

from tqdm import tqdm

from ..utils.errors import InputError
from ..utils.files import WriteError, atomic_path, dump_json_atomically, write_failure
from .face_landmarks import FaceLandmarker, Faces, read_image
from .face_tracking import FaceTracker
from .model_zoo import (DEFAULT_FACE_DETECTOR, DEFAULT_MODEL, is_model_name,
                         resolve_int8_onnx, resolve_model)

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
    parser.add_argument('--precision', choices=['auto', 'fp32', 'int8'], default='auto',
                        metavar='P', help="onnxruntime: auto (the shipped int8 graph where "
                        'the CPU has VNNI/AMX, else fp32), fp32 or int8')
    parser.add_argument('--resume', action='store_true',
                        help='folder: skip the images already in <folder>_landmarks.jsonl '
                             '(continue a killed run)')
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


def onnx_model_file(model: str, config: str, checkpoint: str, precision: str) -> str:
    """The ONNX graph ``--backend onnxruntime`` runs: a shipped model's int8 graph
    (:func:`~.model_zoo.resolve_int8_onnx`) for ``precision`` ``'int8'``, or for ``'auto'``
    where the CPU has int8 dot products (:func:`~mmpose_pipnet.deploy.cpu_features.fast_int8`);
    otherwise the float32 export of ``config`` + ``checkpoint`` (:func:`exported_onnx`).

    Raises:
        InputError: ``'int8'`` for weights without a shipped int8 graph
    """
    from ..deploy.cpu_features import cpu_info, fast_int8
    int8_file = None
    if is_model_name(model) and checkpoint == resolve_model(model)[1]:
        int8_file = resolve_int8_onnx(model)  # made from these very weights
    if precision == 'int8' and int8_file is None:
        raise InputError(f'--precision int8: no int8 graph ships for {model} with '
                         f'{checkpoint}; make one with tools/deploy/export_onnx.py --int8 and '
                         'run it with FaceLandmarker(onnx_file=...)')
    if int8_file and (precision == 'int8' or (precision == 'auto' and fast_int8(cpu_info()))):
        return int8_file
    return exported_onnx(config, checkpoint)


def folder_images(folder: str) -> List[str]:
    """The image files of a folder (not recursive), sorted by name."""
    images = sorted(osp.join(folder, name) for name in os.listdir(folder)
                    if name.lower().endswith(IMAGE_EXTS))
    if not images:
        raise InputError(f'{folder}: no image files ({", ".join(IMAGE_EXTS)})')
    return images


def landmark_image(landmarker: FaceLandmarker, path: str, out_dir: str,
                   boxes: Optional[List] = None, crops_dir: Optional[str] = None) -> Faces:
    """Write <stem>_landmarks.jpg and .json (atomically) of one image, and with
    ``crops_dir`` each face's aligned crop as ``<crops_dir>/<stem>_face<i>.png`` (``i``:
    its index in the json's ``faces``, from 0); returns its faces."""
    import cv2
    from .drawing import draw_faces
    image = read_image(path)
    faces = landmarker.landmarks(image, boxes) if boxes else landmarker(image)
    stem = osp.splitext(osp.basename(path))[0]
    out = osp.join(out_dir, f'{stem}_landmarks')
    cv2.imwrite(out + '.jpg', draw_faces(image, faces))
    dump_json_atomically(dict(image=path, faces=faces.to_list()), out + '.json')
    if crops_dir is not None:
        for index, crop in enumerate(faces.aligned_crops(image)):
            cv2.imwrite(osp.join(crops_dir, f'{stem}_face{index}.png'), crop)
    return faces


def folder_results(out_dir: str, folder: str) -> str:
    """``<out_dir>/<folder's name>_landmarks.jsonl``, a folder's results: one JSON record
    per line and image, ``{"image": path, "faces": [...]}`` (as ``<name>_landmarks.json``)
    or ``{"image": path, "error": "<one line>"}`` for a file that could not be read, in
    the order of :func:`folder_images`."""
    return osp.join(out_dir, f'{osp.basename(osp.abspath(folder))}_landmarks.jsonl')


def read_records(path: str) -> Tuple[List[Dict], int]:
    """The records of a JSON-lines results file ([] if there is none) and the length in
    bytes of its complete lines: a last line without its newline (a run killed while
    writing it) is left out.

    Raises:
        InputError: a complete line that is not such a record (another file)
    """
    if not osp.isfile(path):
        return [], 0
    with open(path, 'rb') as f:
        data = f.read()
    complete = data.rfind(b'\n') + 1
    records = []
    for number, line in enumerate(data[:complete].splitlines(), 1):
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict) or not isinstance(record.get('image'), str):
            raise InputError(f'{path}: line {number} is not a result record (JSON with '
                             f'"image"); move the file away or run without --resume')
        records.append(record)
    return records, complete


def open_results(path: str, resume: bool) -> TextIO:
    """``path`` opened to append records: emptied, or (``resume``) cut after its last
    complete line."""
    results = open(path, 'a' if resume else 'w')
    if resume:
        results.truncate(read_records(path)[1])
    return results


def distributed_rank() -> Tuple[int, int]:
    """(rank, world size) of this process: under torchrun (``WORLD_SIZE`` > 1) the gloo
    process group is started here (rank 0's merge waits on it), else (0, 1)."""
    import torch.distributed as dist
    if int(os.environ.get('WORLD_SIZE', 1)) <= 1:
        return 0, 1
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    return dist.get_rank(), dist.get_world_size()


def merge_results(images: List[str], out_file: str, part_files: List[str]) -> List[Dict]:
    """The records of ``out_file`` and the per-process ``part_files``, one per image in
    the order of ``images`` (the first record of an image kept, records of other images
    dropped), written back to ``out_file`` atomically; the part files are removed."""
    by_image: Dict[str, Dict] = {}
    for path in [out_file, *part_files]:
        for record in read_records(path)[0]:
            by_image.setdefault(record['image'], record)
    records = [by_image[image] for image in images if image in by_image]
    with atomic_path(out_file) as tmp_file, open(tmp_file, 'w') as f:
        f.writelines(json.dumps(record) + '\n' for record in records)
    for path in part_files:
        os.remove(path)
    return records


def run_folder(landmarker: FaceLandmarker, images: List[str], out_file: str,
               args: argparse.Namespace, rank: int, world: int) -> None:
    """Landmarks of a folder's ``images``: each image's files, then its record appended
    to a JSON-lines file and flushed (``out_file``, or ``out_file.part<rank>`` when
    ``world`` > 1 processes share the folder: image i goes to rank i % world); files
    that cannot be read are recorded as errors and skipped. With ``args.resume`` the
    images already recorded (in ``out_file`` or any part file) are skipped. Rank 0 then
    merges the records into ``out_file`` in image order and prints the summary.

    Raises:
        WriteError: a result file could not be written (disk full); what was done is
            kept for ``--resume``
    """
    own_files = [f'{out_file}.part{r}' for r in range(world)] if world > 1 else [out_file]
    own = own_files[rank]
    existing = [out_file, *sorted(glob.glob(glob.escape(out_file) + '.part*'))]
    done: Set[str] = set()
    if args.resume:
        done = {record['image'] for path in existing for record in read_records(path)[0]}
        done &= set(images)
    elif rank == 0:  # afresh: earlier results go, but for the files live ranks now empty
        for path in existing:
            if path not in own_files and osp.isfile(path):
                os.remove(path)
    shard = images[rank::world]
    todo = [path for path in shard if path not in done]
    with open_results(own, args.resume) as results, tqdm(
            total=len(shard), initial=len(shard) - len(todo), desc='images',
            disable=rank != 0) as bar:
        for path in todo:
            try:
                record = dict(image=path, faces=landmark_image(
                    landmarker, path, args.out_dir, crops_dir=args.aligned_crops).to_list())
            except (InputError, FileNotFoundError, ValueError) as error:
                record = dict(image=path, error=f'{error}')
            except WriteError as error:
                raise WriteError(f'{error}; the images done are in {own}: --resume '
                                 f'continues') from error
            try:
                results.write(json.dumps(record) + '\n')
                results.flush()
            except OSError as error:
                raise WriteError(f'{write_failure(own, error)}; the images done are kept: '
                                 f'--resume continues') from error
            bar.update()
    if world > 1:  # every rank's records are written before rank 0 merges them
        import torch.distributed as dist
        dist.barrier()
        dist.destroy_process_group()
    if rank != 0:
        return
    records = merge_results(images, out_file,
                            sorted(glob.glob(glob.escape(out_file) + '.part*')))
    failed = [record['error'] for record in records if 'error' in record]
    faces = sum(len(record.get('faces', ())) for record in records)
    crops = f', <name>_face<i>.png to {args.aligned_crops}' if args.aligned_crops else ''
    resumed = f' ({len(done)} done by an earlier run)' if done else ''
    print(f'{len(records) - len(failed)} image(s), {faces} face(s){resumed}; wrote '
          f'<name>_landmarks.jpg/.json to {args.out_dir}{crops} and one line per image '
          f'to {out_file}')
    if failed:
        print(f'{len(failed)} image(s) could not be read:\n  ' + '\n  '.join(failed))


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
    if args.resume and not folder:
        raise InputError('--resume is for folders (it continues a killed run from the '
                         "folder's .jsonl)")
    if not folder and int(os.environ.get('WORLD_SIZE', 1)) > 1:
        raise InputError('under torchrun only a folder is split across processes; run an '
                         'image or a video in one process')
    rank, world = distributed_rank() if folder else (0, 1)
    images = folder_images(source) if folder else None
    if not (is_video or folder):
        read_image(source)  # a clear error before the model loads
    if is_video and not webcam:
        open_video(source).release()
    model = args.config or args.model
    if model.endswith('.py') and args.checkpoint is None:
        raise InputError(f'--model {model}: a config file needs --checkpoint (its weights)')
    device = f'cuda:{os.environ.get("LOCAL_RANK", 0)}' if world > 1 and \
        args.device.startswith('cuda') else args.device  # one GPU per process
    if args.backend != 'onnxruntime' and args.precision != 'auto':
        raise InputError(f'--precision {args.precision} is for --backend onnxruntime')
    landmarker = FaceLandmarker(model, args.checkpoint, args.detector, device)
    if args.backend == 'onnxruntime':
        onnx_file = onnx_model_file(model, landmarker.config, landmarker.checkpoint,
                                    args.precision)
        print(f'onnxruntime: {onnx_file}')
        landmarker = FaceLandmarker(model, args.checkpoint, args.detector, device,
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
        run_folder(landmarker, images, folder_results(args.out_dir, source), args, rank,
                   world)
    else:
        count = len(landmark_image(landmarker, source, args.out_dir, args.bbox,
                                   args.aligned_crops))
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
    except (InputError, FileNotFoundError, ValueError, WriteError) as error:
        sys.exit(f'{parser.prog}: {error}')
