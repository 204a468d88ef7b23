"""Speed side by side, in one process, interleaved: PIPNet vs the bare trunks and MMPose's
face models, eager (channels_last, as shipped, and MMPose's default NCHW layout) / ONNX
Runtime, batch 1 vs 8, training steps, video; the peers a user would pick instead
(dlib's 68-point predictor + HOG, MediaPipe's face mesh) against ours, accuracy on the
ytf68 held-out people and time, each library on the same threads and cores; and int8
(ONNX Runtime static quantisation) and bf16 (PyTorch CPU autocast) against float32.

The speed models take 256x256 crops with random weights (WFLW, 98 points; no flip test).
The peers are optional extras (``pip install --no-deps -r requirements/bench.txt``); a
missing peer, a lite model not yet in the model zoo, or missing ytf68 data, is skipped
with a message. Prints tables (ms per face, ratios, Pareto table, precision, goals), the
CPU and its AVX2 / AVX-512 / VNNI / bf16 / AMX flags, and, as its last line, one JSON
object with every figure. Examples (docs/benchmarks.md):
    python tools/analysis/benchmark.py
    python tools/analysis/benchmark.py --parts peers precision --repeats 100 \
        --peers-plot docs/peers_pareto.png
    python tools/analysis/benchmark.py --parts peers --quick   # development, busy machine
"""
import argparse
import contextlib
import importlib.util
import itertools
import json
import os
import os.path as osp
import platform
import statistics
import sys
import tempfile
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch

import mmpose_pipnet  # noqa: F401  (registration)
from mmcv.transforms import Compose
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.structures import InstanceData
from mmengine.utils import get_installed_path
from mmpose.apis import init_model
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.registry import DATASETS
from mmpose.structures import PoseDataSample
from mmpose_pipnet.apis import (DEFAULT_CHECKPOINT, DEFAULT_CONFIG, DEFAULT_FACE_DETECTOR,
                                FaceDetector, FaceLandmarker, FaceTracker, read_image)
from mmpose_pipnet.apis.face_detection import landmark_square, match_faces
from mmpose_pipnet.apis.model_zoo import is_shipped_model, resolve_model
from mmpose_pipnet.utils.errors import InputError
from mmpose_pipnet.apis.video import process_video
from mmpose_pipnet.deploy import (CALIBRATION, PIPNetDeployModel, calibration_crops,
                                  export_decoder_onnx, export_onnx, quantize_onnx)
from mmpose_pipnet.deploy.cpu_features import cpu_info, cpu_line
from tqdm import tqdm

HERE = osp.dirname(osp.abspath(__file__))
sys.path += [HERE, osp.dirname(HERE)]  # the helpers: _common.py here, _malloc.py in tools/
from _common import (interocular_nme, letterbox, load_face_images,  # noqa: E402
                     make_still_clip)
from _malloc import tune_glibc_malloc  # noqa: E402

REPO = osp.dirname(osp.dirname(HERE))
MMPOSE_CONFIGS = osp.join(get_installed_path('mmpose'), '.mim', 'configs', 'face_2d_keypoint')
CONFIGS = dict(
    pipnet_r18=osp.join(REPO, 'configs', 'pipnet', 'wflw_res18.py'),
    pipnet_mbv2=osp.join(REPO, 'configs', 'pipnet', 'wflw_mbv2.py'),
    hrnetv2_w18=osp.join(MMPOSE_CONFIGS, 'topdown_heatmap', 'wflw',
                         'td-hm_hrnetv2-w18_8xb64-60e_wflw-256x256.py'),
    rtmpose_m=osp.join(MMPOSE_CONFIGS, 'rtmpose', 'wflw', 'rtmpose-m_8xb64-60e_wflw-256x256.py'))


def interleaved_medians(cases: Dict[str, Callable[[], object]], rounds: int = 10,
                        warmup: int = 2, desc: str = 'rounds') -> Dict[str, float]:
    """Median seconds per call of each case, run round-robin ``rounds`` times.

    Every case is a zero-argument callable; they run in turns (round-robin, after
    ``warmup`` calls each) and each keeps its median, so machine noise hits all cases
    alike and ratios between them are what to read."""
    for fn in cases.values():
        for _ in range(warmup):
            fn()
    times: Dict[str, list] = {name: [] for name in cases}
    for _ in tqdm(range(rounds), desc=desc):
        for name, fn in cases.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def eval_model(config: str, channels_last: Optional[bool] = None) -> torch.nn.Module:
    """A top-down model of ``config`` with random weights, on the CPU, in eval mode;
    ``channels_last`` overrides a ``ChannelsLastTopdownEstimator``'s layout."""
    cfg_options = None if channels_last is None else dict(
        model=dict(channels_last=channels_last))
    return init_model(config, None, device='cpu', cfg_options=cfg_options).eval()


def predict_case(model: torch.nn.Module, batch: int, channels_last: bool = False,
                 trunk_only: bool = False,
                 input_size: Tuple[int, int] = (256, 256)) -> Callable[[], object]:
    """``model.predict`` (network + decoding, no flip test) on a random (batch, 3, h, w)
    preprocessed input; ``trunk_only``: the backbone alone. ``channels_last`` converts
    the model in place (use a model of its own)."""
    width, height = input_size
    inputs = torch.randn(batch, 3, height, width)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    meta = dict(model.dataset_meta, input_size=(width, height),
                input_center=np.array([width / 2, height / 2], np.float32),
                input_scale=np.array([width, height], np.float32))
    samples = [PoseDataSample(metainfo=meta, gt_instances=InstanceData(
        bboxes=np.array([[0, 0, width, height]], np.float32),
        bbox_scores=np.ones(1, np.float32))) for _ in range(batch)]

    @torch.no_grad()
    def run():
        if trunk_only:
            return model.backbone(inputs)
        return model.predict(inputs, samples)
    return run


def synthetic_train_batch(model: torch.nn.Module, batch: int, seed: int = 0) -> Dict:
    """A training batch through the config's own train pipeline (less ``Albumentation``; of
    its first dataset where the training set is a mix): a random image with K points
    inside a face-sized box, ``batch`` times (each augmented anew)."""
    cfg = model.cfg
    dataset = cfg.train_dataloader.dataset
    while 'datasets' in dataset or 'dataset' in dataset:  # a ConcatDataset / RepeatDataset
        dataset = dataset['datasets'][0] if 'datasets' in dataset else dataset['dataset']
    meta = parse_pose_metainfo(dict(DATASETS.get(dataset.type).METAINFO))
    rng = np.random.default_rng(seed)
    num_points = meta['num_keypoints']
    image = rng.integers(0, 256, (320, 320, 3), dtype=np.uint8)
    keypoints = rng.uniform(100, 220, (1, num_points, 2)).astype(np.float32)
    results = dict(img=image, img_shape=image.shape[:2], ori_shape=image.shape[:2],
                   img_path='synthetic.jpg', id=0, img_id=0, category_id=1,
                   bbox=np.array([[80, 80, 240, 240]], np.float32),
                   bbox_score=np.ones(1, np.float32), keypoints=keypoints,
                   keypoints_visible=np.ones((1, num_points), np.float32), **meta)
    # RTMPose's Albumentation step needs albumentations, which the stack does not install
    pipeline = Compose([step for step in dataset.pipeline if step['type'] != 'Albumentation'])
    return pseudo_collate([pipeline(dict(results)) for _ in range(batch)])


def train_step_cases(config: str, batch: int = 16) -> Tuple[Callable, Callable]:
    """(full, bare) training steps of ``config`` with Adam (lr 1e-4), random weights.

    full: MMEngine's ``model.train_step`` on a batch from the train pipeline (data
    preprocessor, the head's own loss, backward, optimizer step); bare: the same network's
    forward on a ready tensor, the mean of its outputs as loss, backward and an Adam step:
    what any training loop has to pay.
    """
    model = init_model(config, None, device='cpu').train()
    optim_wrapper = build_optim_wrapper(model, dict(optimizer=dict(type='Adam', lr=1e-4)))
    data = synthetic_train_batch(model, batch)
    inputs = model.data_preprocessor(data, training=True)['inputs']

    def full():
        return model.train_step(data, optim_wrapper)

    def bare():
        outputs = model.head.forward(model.extract_feat(inputs))
        outputs = outputs if isinstance(outputs, (tuple, list)) else [outputs]
        loss = sum(o.float().mean() for o in outputs)
        optim_wrapper.update_params(loss)
    return full, bare


def ort_session(onnx_file: str):
    """An ONNX Runtime CPU session whose idle threads do not spin (as in the package's predictor): a
    spinning session takes the cores from the case measured after it."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.add_session_config_entry('session.intra_op.allow_spinning', '0')
    return ort.InferenceSession(onnx_file, options, providers=['CPUExecutionProvider'])


def ort_case(onnx_file: str, batch: int, size: int = 256):
    session = ort_session(onnx_file)
    images = np.random.default_rng(0).uniform(0, 255, (batch, 3, size, size)).astype(np.float32)
    return lambda: session.run(None, {'images': images})


def ort_decode_case(maps_file: str, decoder_file: str, batch: int, size: int = 256):
    """The decoding graph alone (export_decoder_onnx) on the raw maps of a random batch."""
    images = np.random.default_rng(0).uniform(0, 255, (batch, 3, size, size)).astype(np.float32)
    maps = ort_session(maps_file).run(None, {'images': images})
    session = ort_session(decoder_file)
    feed = dict(zip(['cls', 'off_x', 'off_y', 'nb_x', 'nb_y'], maps))
    return lambda: session.run(None, feed)


def inference_figures(tmp: str, rounds: int) -> dict:
    cases = {}
    for name in ('pipnet_r18', 'pipnet_mbv2', 'hrnetv2_w18', 'rtmpose_m'):
        # ours as the configs build them (ChannelsLastTopdownEstimator: NHWC); MMPose's
        # models in their default layout
        model = eval_model(CONFIGS[name])
        for batch in (1, 8):
            cases[f'{name}/eager/b{batch}'] = predict_case(model, batch)
        if name.startswith('pipnet'):
            for batch in (1, 8):  # the trunk in the same layout as the whole network
                cases[f'{name}/trunk/b{batch}'] = predict_case(model, batch, trunk_only=True,
                                                               channels_last=True)
            nchw = eval_model(CONFIGS[name], channels_last=False)
            for batch in (1, 8):
                cases[f'{name}/eager_nchw/b{batch}'] = predict_case(nchw, batch)
            for raw in (False, True):
                onnx_file = export_onnx(CONFIGS[name], None,
                                        osp.join(tmp, f'{name}_{raw}.onnx'), raw_maps=raw)
                for batch in (1, 8):
                    cases[f'{name}/ort{"_maps" if raw else ""}/b{batch}'] = \
                        ort_case(onnx_file, batch)
            decoder = export_decoder_onnx(CONFIGS[name], osp.join(tmp, f'{name}_decoder.onnx'))
            for batch in (1, 8):
                cases[f'{name}/ort_decoding_only/b{batch}'] = ort_decode_case(
                    onnx_file, decoder, batch)
    seconds = interleaved_medians(cases, rounds, desc='inference')
    return {name: 1000 * value / int(name.rsplit('/b', 1)[1])  # ms per face
            for name, value in seconds.items()}


def training_figures(rounds: int) -> dict:
    cases = {}
    for name in CONFIGS:
        full, bare = train_step_cases(CONFIGS[name])
        cases[f'{name}/train_step'] = full
        if name.startswith('pipnet'):
            cases[f'{name}/bare_step'] = bare
    seconds = interleaved_medians(cases, rounds, warmup=1, desc='training')
    return {name: 16 / value for name, value in seconds.items()}  # images per second


def video_figures(tmp: str, frames: int, rounds: int = 30, interval: int = 10) -> dict:
    """One face, 640x480: the video path (YuNet every ``interval`` frames, tracking, the
    bundled model in ORT, One Euro) vs the bare ORT model, interleaved. A video-path call
    tracks ``interval`` decoded frames (so each holds one re-detection); decoding the
    clip is timed apart (``interval`` frames a call), and ``process_video`` (decoding
    included) once at the end."""
    import matplotlib.cbook
    image = read_image(str(matplotlib.cbook.get_sample_data('grace_hopper.jpg',
                                                            asfileobj=False)))
    clip = make_still_clip(image, osp.join(tmp, 'clip.mp4'), frames)
    capture = cv2.VideoCapture(clip)
    decoded = [capture.read()[1] for _ in range(frames)]
    capture.open(clip)
    onnx_file = export_onnx(DEFAULT_CONFIG, DEFAULT_CHECKPOINT, osp.join(tmp, 'default.onnx'))
    landmarker = FaceLandmarker(detector=DEFAULT_FACE_DETECTOR, onnx_file=onnx_file)
    smoothing = dict(min_cutoff=1.0, beta=1.0)
    tracker = FaceTracker(landmarker, redetect_interval=interval, smoothing=smoothing)
    clock = itertools.count()

    def video_path():
        for _ in range(interval):
            index = next(clock)
            if not len(tracker(decoded[index % frames], index / 25)):
                raise RuntimeError(f'video benchmark: no face tracked in frame {index}')

    def decode():
        for _ in range(interval):
            if not capture.read()[0]:  # the clip's end: from the start again
                capture.open(clip)
                capture.read()

    frame = decoded[0]
    boxes = landmarker.detect(frame)[:, :4]
    width, height = landmarker.predictor.input_size
    crop = np.zeros((1, 3, height, width), np.float32)
    session = landmarker.predictor.session
    detectors = {name: FaceDetector.from_config(osp.join(REPO, 'configs', 'face_detection',
                                                         f'{name}.py'))
                 for name in ('yunet_face', 'haar_face')}
    seconds = interleaved_medians(
        dict(bare_model=lambda: session.run(None, {'images': crop}),
             video_path=video_path, decode=decode,
             landmarks_in_box=lambda: landmarker.landmarks(frame, boxes),
             yunet_320=lambda: detectors['yunet_face'](frame, 320),
             **{f'detector/{n}': (lambda d=d: d(frame)) for n, d in detectors.items()}),
        rounds=rounds, desc='video parts')
    with_decoding = process_video(clip, FaceTracker(landmarker, interval,
                                                    smoothing=smoothing))['fps']
    return dict(video_fps=interval / seconds['video_path'],
                video_fps_with_decoding=with_decoding,
                decode_ms=1000 * seconds['decode'] / interval,
                bare_model_faces_per_s=1 / seconds['bare_model'],
                landmarks_in_box_ms=1000 * seconds['landmarks_in_box'],
                yunet_ms_640x480=1000 * seconds['detector/yunet_face'],
                yunet_ms_320x240=1000 * seconds['yunet_320'],
                haar_ms_640x480=1000 * seconds['detector/haar_face'])


# --- Peers: the libraries a user would pick instead (requirements/bench.txt, optional) ---
#: The 7 points every method has: eye corners, nose tip, mouth corners (iBUG-68 indices) and
#: MediaPipe's face-mesh vertices at the same places, in the same order: mesh 33 is the
#: subject's right eye's outer corner (image left) = iBUG 36, 133 its inner corner = 39,
#: 362 / 263 the left eye's inner / outer corner = 42 / 45, 1 the nose tip = 30, 61 / 291
#: the mouth corners = 48 / 54 (checked by drawing both on grace_hopper.jpg).
IBUG7 = (36, 39, 42, 45, 30, 48, 54)
MEDIAPIPE7 = (33, 133, 362, 263, 1, 61, 291)
POINTS7 = ('right eye outer', 'right eye inner', 'left eye inner', 'left eye outer',
           'nose tip', 'mouth right', 'mouth left')  # the subject's sides
BENCH_EXTRAS = 'pip install --no-deps -r requirements/bench.txt'
PEER_MODULES = dict(dlib=('dlib', 'face_recognition_models'), mediapipe=('mediapipe', ))
#: What each peer's points need added (image px, both axes) to be in the labels' frame:
#: ytf68's labels are 1-based (the top-left pixel's centre is (1, 1)); dlib returns
#: 0-based integer pixel indices (+1); MediaPipe returns fractions of the image's extent,
#: 0 at its left / top edge, so the first pixel's centre is 0.5 (+0.5). Ours is trained
#: on the labels and predicts in their frame. Fixed by the conventions, not fitted.
LABEL_FRAME_SHIFT = dict(dlib=1.0, mediapipe=0.5)
#: The lite model's name in the model zoo (configs/pipnet/metafile.yml): benchmarked
#: beside the default (``ours_lite``) once it ships, skipped with a message until then.
LITE_MODEL = 'lite'
#: dlib's box from a landmark square where no training json is there to fit it on: side
#: ratio, centre shift (x, y) in square sides, as fit_dlib_box found them on 389 faces of
#: ytf68_person_train.json (HOG upsampled once): dlib's box is the square moved up by a
#: ninth of its side.
DLIB_BOX_FALLBACK = (1.006, -0.027, -0.113)


def peer_missing(name: str) -> Optional[str]:
    """``None`` if peer ``name`` (``'dlib'``, ``'mediapipe'``) is installed, else the
    one-line reason it is skipped."""
    for module in PEER_MODULES[name]:
        if importlib.util.find_spec(module) is None:
            return (f'peer {name} skipped: {module} is not installed (optional bench '
                    f'extras: {BENCH_EXTRAS})')
    return None


def square_boxes(points: np.ndarray) -> np.ndarray:
    """The landmark square (the PIPNet box convention) of (N, K, 2) points -> (N, 4)."""
    return landmark_square(np.asarray(points, np.float64))


def crop_with_border(image: np.ndarray, x0: int, y0: int, side: int) -> np.ndarray:
    """The ``side`` x ``side`` window of ``image`` at (x0, y0), black where it leaves the
    image (contiguous)."""
    height, width = image.shape[:2]
    crop = np.zeros((side, side) + image.shape[2:], image.dtype)
    ax0, ay0 = max(x0, 0), max(y0, 0)
    ax1, ay1 = min(x0 + side, width), min(y0 + side, height)
    if ax1 > ax0 and ay1 > ay0:
        crop[ay0 - y0:ay1 - y0, ax0 - x0:ax1 - x0] = image[ay0:ay1, ax0:ax1]
    return crop


class DlibPeer:
    """dlib's 68-point shape predictor (``shape_predictor_68_face_landmarks.dat`` as the
    ``face_recognition_models`` package ships it) and its HOG frontal-face detector.

    Both run on the calling thread (dlib has no thread setting for them). Points are what
    dlib returns: integer pixels. Images are RGB uint8.

    Args:
        box_calibration: (side ratio, shift x, shift y): the dlib box made from a landmark
            square (side x ratio, centre moved by shift x the square's side), see
            :func:`fit_dlib_box` (default: :data:`DLIB_BOX_FALLBACK`); ``(1, 0, 0)`` gives
            the square itself
    """
    name = 'dlib'

    def __init__(self, box_calibration: Tuple[float, float, float] = DLIB_BOX_FALLBACK):
        import dlib
        import face_recognition_models
        self.dlib = dlib
        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(
            face_recognition_models.pose_predictor_model_location())
        self.box_calibration = tuple(float(v) for v in box_calibration)

    def dlib_box(self, square: np.ndarray) -> np.ndarray:
        """A landmark square (4,) -> the calibrated dlib box (4,), float pixels."""
        ratio, shift_x, shift_y = self.box_calibration
        side = square[2] - square[0]
        center = (square[:2] + square[2:]) / 2 + np.array([shift_x, shift_y]) * side
        return np.concatenate([center - ratio * side / 2, center + ratio * side / 2])

    def in_box(self, rgb: np.ndarray, box: np.ndarray) -> np.ndarray:
        """(68, 2) points of the face in a dlib box (x1, y1, x2, y2, rounded to pixels)."""
        x1, y1, x2, y2 = (int(round(float(v))) for v in box[:4])
        shape = self.predictor(rgb, self.dlib.rectangle(x1, y1, x2, y2))
        return np.array([(p.x, p.y) for p in shape.parts()], np.float64)

    def detect(self, rgb: np.ndarray, upsample: int = 0) -> np.ndarray:
        """HOG face boxes (N, 4) x1, y1, x2, y2; ``upsample``: image doublings first (dlib
        finds faces from about 80 px, 40 px after one)."""
        rects = self.detector(rgb, upsample)
        return np.array([[r.left(), r.top(), r.right(), r.bottom()] for r in rects],
                        np.float64).reshape(-1, 4)

    def image(self, rgb: np.ndarray, upsample: int = 0) -> List[np.ndarray]:
        """Every face of an image: HOG boxes -> (68, 2) points each."""
        return [self.in_box(rgb, box) for box in self.detect(rgb, upsample)]


_MEDIAPIPE_OPTIONS = {}


def _mediapipe_options_modifier():
    """``SolutionBase._modify_calculator_options`` as MediaPipe wrote it, made to run with
    protobuf >= 7 (which dropped ``FieldDescriptor.label``; MediaPipe 0.10.21 asks for
    protobuf < 5 while onnx 1.23 needs >= 6.31): the one ``label == LABEL_REPEATED`` test
    becomes ``is_repeated``. Nothing else of MediaPipe or protobuf is touched."""
    if 'modify' in _MEDIAPIPE_OPTIONS:
        return _MEDIAPIPE_OPTIONS['modify']
    import inspect
    import textwrap
    from google.protobuf import descriptor
    from mediapipe.python import solution_base
    method = solution_base.SolutionBase._modify_calculator_options
    if not hasattr(descriptor.FieldDescriptor, 'label'):
        source = textwrap.dedent(inspect.getsource(method))
        old = ('].label', 'field_label == descriptor.FieldDescriptor.LABEL_REPEATED')
        if [source.count(text) for text in old] != [1, 1]:
            raise RuntimeError('mediapipe: its calculator-options code is not the one this '
                               'benchmark adapts to protobuf >= 7; install protobuf 6.x')
        source = source.replace(old[0], '].is_repeated').replace(old[1], 'field_label')
        namespace = {}
        exec(compile(source, solution_base.__file__, 'exec'),  # noqa: S102
             solution_base.__dict__, namespace)
        method = namespace['_modify_calculator_options']
    _MEDIAPIPE_OPTIONS['modify'] = method
    return method


def mediapipe_face_mesh(threads: Optional[int], max_num_faces: int = 1,
                        static_image_mode: bool = True):
    """MediaPipe's ``solutions.face_mesh.FaceMesh`` (``static_image_mode``: its face
    detector on every call; else video mode: the detector only until it tracks, then the
    landmarks alone in the ROI of the last call's; 468 points, no refinement) with both of
    its TFLite models (face detector,
    landmarks) on ``threads`` XNNPACK threads: MediaPipe's default on Linux is 1 thread,
    and the solution API has no setting for it, so it goes into the graph's
    ``InferenceCalculator`` options (``None``: MediaPipe's default).
    ``mesh.pinned_threads`` says how many models got it."""
    from mediapipe.calculators.tensor import inference_calculator_pb2
    from mediapipe.python.solutions import face_mesh
    options_type = inference_calculator_pb2.InferenceCalculatorOptions
    modify = _mediapipe_options_modifier()

    def pin(options) -> int:
        if threads is not None and options.delegate.WhichOneof('delegate') in (None,
                                                                               'xnnpack'):
            options.delegate.xnnpack.num_threads = threads
            return 1
        return 0

    class PinnedFaceMesh(face_mesh.FaceMesh):
        pinned_threads = 0

        def _modify_calculator_options(self, config, params):
            modify(self, config, params)
            for node in config.node:
                if not node.calculator.startswith('InferenceCalculator'):
                    continue
                for elem in node.node_options:  # proto3 "node_options"
                    if elem.type_url.endswith(options_type.DESCRIPTOR.full_name):
                        options = options_type.FromString(elem.value)
                        PinnedFaceMesh.pinned_threads += pin(options)
                        elem.value = options.SerializeToString()
                if not node.node_options:
                    PinnedFaceMesh.pinned_threads += pin(
                        node.options.Extensions[options_type.ext])

    return PinnedFaceMesh(static_image_mode=static_image_mode, refine_landmarks=False,
                          max_num_faces=max_num_faces)


class MediaPipePeer:
    """MediaPipe's face mesh (468 points, :func:`mediapipe_face_mesh`) on RGB uint8 images.

    It has no "landmarks in this box" entry: in a box it runs on the box's square crop
    grown ``crop_scale`` times (the face with context, as its short-range detector expects;
    black beyond the image) and still runs its own face detector inside the crop
    (:meth:`in_box`), or tracks it there in video mode (:meth:`in_box_tracked`: on the
    same crop again and again, its landmark model alone, the least a face costs it).
    Points are its normalised coordinates times the image size, as a user reads them
    (:data:`LABEL_FRAME_SHIFT` puts them in ytf68's frame).
    """
    name = 'mediapipe'

    def __init__(self, threads: Optional[int] = 2, crop_scale: float = 2.0,
                 max_num_faces: int = 4):
        self.crop_scale = crop_scale
        self.crop_mesh = mediapipe_face_mesh(threads, 1)
        self.video_mesh = mediapipe_face_mesh(threads, 1, static_image_mode=False)
        self.image_mesh = mediapipe_face_mesh(threads, max_num_faces)
        self.pinned_threads = type(self.crop_mesh).pinned_threads

    @staticmethod
    def _points(result, width: int, height: int) -> List[np.ndarray]:
        return [np.array([(p.x * width, p.y * height) for p in face.landmark], np.float64)
                for face in (result.multi_face_landmarks or [])]

    def in_box(self, rgb: np.ndarray, box: np.ndarray) -> Optional[np.ndarray]:
        """(468, 2) points of the face in ``box`` (4,), or ``None`` where its detector
        finds no face in the crop."""
        return self._in_crop(self.crop_mesh, rgb, box)

    def in_box_tracked(self, rgb: np.ndarray, box: np.ndarray) -> Optional[np.ndarray]:
        """:meth:`in_box` in video mode: after the first call on a crop, its landmark
        model alone in the ROI it tracks (its detector skipped)."""
        return self._in_crop(self.video_mesh, rgb, box)

    def _in_crop(self, mesh, rgb: np.ndarray, box: np.ndarray) -> Optional[np.ndarray]:
        box = np.asarray(box[:4], np.float64)
        center = (box[:2] + box[2:]) / 2
        side = max(int(round(float((box[2:] - box[:2]).max()) * self.crop_scale)), 8)
        x0, y0 = (int(round(v)) for v in center - side / 2)
        faces = self._points(mesh.process(crop_with_border(rgb, x0, y0, side)), side, side)
        return faces[0] + (x0, y0) if faces else None

    def image(self, rgb: np.ndarray) -> List[np.ndarray]:
        """Every face of a whole image (up to ``max_num_faces``): (468, 2) points each."""
        return self._points(self.image_mesh.process(np.ascontiguousarray(rgb)),
                            rgb.shape[1], rgb.shape[0])


class OursPeer:
    """Ours as a user runs it: :class:`FaceLandmarker` with an exported model in ONNX
    Runtime (``threads`` intra-op threads, idle threads not spinning) and YuNet boxes."""

    def __init__(self, onnx_file: str, threads: int = 2, name: str = 'ours'):
        from pipnet_onnxruntime import PIPNetONNXPredictor
        self.name = name
        self.landmarker = FaceLandmarker(detector=DEFAULT_FACE_DETECTOR, onnx_file=onnx_file)
        self.landmarker.predictor = PIPNetONNXPredictor(onnx_file, threads=threads)

    def in_box(self, bgr: np.ndarray, box: np.ndarray) -> np.ndarray:
        return self.landmarker.landmarks(bgr, np.asarray(box, np.float32)[None, :4]
                                         ).keypoints[0].astype(np.float64)

    def image(self, bgr: np.ndarray) -> List[np.ndarray]:
        return list(self.landmarker(bgr).keypoints.astype(np.float64))


@contextlib.contextmanager
def pinned_cores(count: int):
    """The calling thread (and every thread it starts meanwhile: thread pools of ONNX
    Runtime, XNNPACK, OpenMP) on the first ``count`` cores it may use, for the ``with``
    block; yields those core ids. Where the OS has no affinity call: no pinning, ``[]``."""
    if not hasattr(os, 'sched_setaffinity'):
        yield []
        return
    allowed = os.sched_getaffinity(0)
    cores = sorted(allowed)[:count]
    os.sched_setaffinity(0, cores)
    try:
        yield cores
    finally:
        os.sched_setaffinity(0, allowed)


def pin_threads(threads: int) -> Dict[str, str]:
    """Every library of the peer comparison on ``threads`` threads; what each uses.
    ``OMP_NUM_THREADS`` is set in this process's environment (the caller restores it)."""
    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)
    # YuNet (yuface) runs on its own bundled libgomp, which reads this when it loads
    yunet = 'not loaded yet: OMP_NUM_THREADS set'
    if 'yuface' in sys.modules or 'yuface.yuface' in sys.modules:
        yunet = f'already loaded: OMP_NUM_THREADS={os.environ.get("OMP_NUM_THREADS")}'
    else:
        os.environ['OMP_NUM_THREADS'] = str(threads)
    return dict(
        ours=f'ONNX Runtime intra_op_num_threads={threads}, no spinning; OpenCV crops '
             f'cv2.setNumThreads({threads}); torch.set_num_threads({threads}) (not timed)',
        yunet=f'OpenMP, OMP_NUM_THREADS={threads} ({yunet})',
        mediapipe=f'XNNPACK num_threads={threads} in both TFLite models\' '
                  f'InferenceCalculator options (its Linux default: 1)',
        dlib='single-threaded (HOG detector and shape predictor run on the calling thread; '
             'no setting)')


def load_peers(threads: Optional[int], dlib_box=DLIB_BOX_FALLBACK, crop_scale: float = 2.0,
               quiet: bool = False):
    """(adapters by name, skip messages) for the installed peers (``quiet``: the messages
    are not printed)."""
    peers, skipped = {}, []
    for name, make in (('dlib', lambda: DlibPeer(dlib_box)),
                       ('mediapipe', lambda: MediaPipePeer(threads, crop_scale))):
        reason = peer_missing(name)
        if reason is None:
            try:
                peers[name] = make()
            except Exception as error:  # a broken install: say so, go on with the others
                reason = f'peer {name} skipped: {type(error).__name__}: {error}'
        if reason is not None:
            skipped.append(reason)
            if not quiet:
                print(reason)
    return peers, skipped


def fit_dlib_box(dlib_peer: DlibPeer, images: Sequence[Dict], upsample: int = 1,
                 limit: int = 400) -> Tuple[Tuple[float, float, float], int]:
    """dlib's HOG box as a function of the landmark square, fitted on labelled images:
    medians of side ratio and centre shift (in square sides) over the faces HOG finds
    (:func:`match_faces`). Returns ((ratio, shift x, shift y), faces used)."""
    ratios, shifts = [], []
    for item in images[:limit]:
        rgb = cv2.cvtColor(read_image(item['path']), cv2.COLOR_BGR2RGB)
        squares = square_boxes(item['points'])
        boxes = dlib_peer.detect(rgb, upsample)
        for square, index in zip(squares, match_faces(boxes, squares)):
            if index < 0:
                continue
            side = square[2] - square[0]
            box = boxes[index]
            ratios.append(np.sqrt(np.prod(box[2:] - box[:2])) / side)
            shifts.append(((box[:2] + box[2:]) / 2 - (square[:2] + square[2:]) / 2) / side)
    if not ratios:
        return DLIB_BOX_FALLBACK, 0
    shift = np.median(np.array(shifts), 0)
    return (float(np.median(ratios)), float(shift[0]), float(shift[1])), len(ratios)


def _match_points(found: List[np.ndarray], gt: np.ndarray) -> List[Optional[np.ndarray]]:
    """Each labelled face's predicted points among an image's ``found`` faces (matched by
    their landmark squares, :func:`match_faces`), ``None`` where none."""
    if not found:
        return [None] * len(gt)
    match = match_faces(square_boxes(np.stack([f[:, :2] for f in found])), square_boxes(gt))
    return [found[i] if i >= 0 else None for i in match]


def peer_predictions(peers: Dict, ours: Dict[str, OursPeer], images: Sequence[Dict],
                     upsample: int = 1) -> Dict[str, np.ndarray]:
    """Every method's points on every labelled face: {method: (F, K, 2)}, NaN where it
    found no face. K = 68 (dlib, ours) or 7 (MediaPipe, mapped by ``MEDIAPIPE7``).

    Methods: ``box/...``: landmarks in the face's box (the landmark square; dlib: its
    calibrated box, and ``box/dlib_square`` the square itself; MediaPipe: the square's
    crop, its own detector inside); ``image/...``: the whole image through each one's
    detector (dlib HOG upsampled ``upsample`` times, MediaPipe's, YuNet for ours). Peers'
    points are moved into the labels' frame (:data:`LABEL_FRAME_SHIFT`)."""
    out: Dict[str, List[np.ndarray]] = {}

    def put(method, points, k):
        peer = next((name for name in LABEL_FRAME_SHIFT if name in method), None)
        shift = LABEL_FRAME_SHIFT[peer] if peer else 0.0
        out.setdefault(method, []).append(
            np.full((k, 2), np.nan) if points is None else
            np.asarray(points, np.float64) + shift)

    for item in tqdm(images, desc='peer accuracy'):
        bgr = read_image(item['path'])
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        gt = item['points']
        squares = square_boxes(gt)
        whole = {name: peer.image(bgr) for name, peer in ours.items()}
        if 'dlib' in peers:
            whole['dlib_hog'] = peers['dlib'].image(rgb, upsample)
        if 'mediapipe' in peers:
            whole['mediapipe'] = [f[list(MEDIAPIPE7)] for f in peers['mediapipe'].image(rgb)]
        for face, square in enumerate(squares):
            for name, peer in ours.items():
                put(f'box/{name}', peer.in_box(bgr, square), 68)
            if 'dlib' in peers:
                put('box/dlib', peers['dlib'].in_box(rgb, peers['dlib'].dlib_box(square)), 68)
                put('box/dlib_square', peers['dlib'].in_box(rgb, square), 68)
            if 'mediapipe' in peers:
                mesh = peers['mediapipe'].in_box(rgb, square)
                put('box/mediapipe', None if mesh is None else mesh[list(MEDIAPIPE7)], 7)
        for name, found in whole.items():
            key = 'image/' + ('yunet_' + name if name in ours else name)
            for points in _match_points(found, gt):
                put(key, points, 7 if name == 'mediapipe' else 68)
    return {method: np.stack(points) for method, points in out.items()}


def points7(points: np.ndarray) -> np.ndarray:
    """(F, 68 or 7, 2) -> (F, 7, 2): the :data:`IBUG7` subset of 68 points."""
    return points if points.shape[1] == 7 else points[:, list(IBUG7)]


def nme_per_face(pred: np.ndarray, gt: np.ndarray, points: int,
                 remove_offset: bool = False) -> np.ndarray:
    """(F,) NME in % (inter-ocular: the truth's outer eye corners 36/45, as MMPose's
    ``keypoint_distance`` on iBUG-68) over 68 or the 7 shared points; NaN where ``pred``
    is NaN (no face found). ``remove_offset``: first take away the method's mean signed
    error (x, y) over the faces it found."""
    norm = np.linalg.norm(gt[:, 36] - gt[:, 45], axis=-1)
    p, g = (pred, gt) if points == 68 else (points7(pred), points7(gt))
    err = p - g
    if remove_offset:
        err = err - np.nanmean(err.reshape(-1, 2), 0)
    return 100 * np.linalg.norm(err, axis=-1).mean(1) / norm


def peer_accuracy(predictions: Dict[str, np.ndarray], gt: np.ndarray) -> Dict[str, Dict]:
    """Per method: faces, found, failures (no face found), NME (%) over the faces found on
    68 points (where it has them) and on the 7 shared ones, the same with its mean signed
    offset taken away (2 numbers fitted on these faces: how much of the error is a
    coordinate convention), that offset (prediction - truth; pixels and % of the
    inter-ocular distance) and the 7 points' own mean offsets (pixels)."""
    norm = np.linalg.norm(gt[:, 36] - gt[:, 45], axis=-1)
    results = {}
    for method, pred in predictions.items():
        found = ~np.isnan(pred).any((1, 2))
        row = dict(faces=int(len(pred)), found=int(found.sum()),
                   failures=int((~found).sum()))
        if found.any():
            for k in ((68, 7) if pred.shape[1] == 68 else (7, )):
                row[f'nme{k}'] = float(np.nanmean(nme_per_face(pred, gt, k)))
                row[f'nme{k}_offset_removed'] = float(np.nanmean(
                    nme_per_face(pred, gt, k, remove_offset=True)))
                err = (pred if k == 68 else points7(pred))[found] - \
                    (gt if k == 68 else points7(gt))[found]
                row[f'offset{k}_px'] = err.reshape(-1, 2).mean(0).tolist()
                row[f'offset{k}_pct'] = (100 * (err / norm[found, None, None])
                                         .reshape(-1, 2).mean(0)).tolist()
            row['offset_per_point7_px'] = (points7(pred)[found] -
                                           points7(gt)[found]).mean(0).tolist()
        results[method] = row
    return results


#: Our models (:func:`our_models`) and how the goals name them
OURS = dict(ours='default model', ours_person='person-disjoint model', ours_lite='lite model')
#: (ours, peers it is compared with): in a given box, and through each one's detector
COMPARISONS = (('box/{}', ('box/dlib', 'box/dlib_square', 'box/mediapipe')),
               ('image/yunet_{}', ('image/dlib_hog', 'image/mediapipe')))


def same_face_comparisons(predictions: Dict[str, np.ndarray], gt: np.ndarray) -> Dict:
    """Ours against each peer on the faces both found: {'{ours} vs {peer} ({k} points)':
    dict(faces, ours, peer, peer_offset_removed, ratio)}, ratio = ours' NME over the
    peer's better one of its label-frame and offset-removed NME."""
    out = {}
    for ours_key, peer_keys in COMPARISONS:
        for name in OURS:
            mine = predictions.get(ours_key.format(name))
            for peer in peer_keys:
                if mine is None or peer not in predictions:
                    continue
                for k in ((68, 7) if predictions[peer].shape[1] == 68 else (7, )):
                    ours_nme = nme_per_face(mine, gt, k)
                    peer_nme = nme_per_face(predictions[peer], gt, k)
                    peer_off = nme_per_face(predictions[peer], gt, k, remove_offset=True)
                    both = ~np.isnan(ours_nme) & ~np.isnan(peer_nme)
                    if not both.any():
                        continue
                    best = min(peer_nme[both].mean(), peer_off[both].mean())
                    out[f'{ours_key.format(name)} vs {peer} ({k} points)'] = dict(
                        faces=int(both.sum()), ours=float(ours_nme[both].mean()),
                        peer=float(peer_nme[both].mean()),
                        peer_offset_removed=float(peer_off[both].mean()),
                        ratio=float(ours_nme[both].mean() / best))
    return out


def peer_timing(peers: Dict, ours: Dict[str, OursPeer], rounds: int,
                upsample_image: int = 0,
                extra: Optional[Dict[str, 'MediaPipePeer']] = None) -> Dict[str, float]:
    """ms per call, interleaved round-robin, batch 1, one face (grace_hopper.jpg
    letterboxed into 640x480): landmarks in a given box (``face/...``: the first of
    ``ours``' YuNet box; dlib: its calibrated box from it; MediaPipe: its crop, its own
    detector inside, and ``face/mediapipe_tracking``: in video mode, its landmark model
    alone) and a whole image (``image/...``: detector + landmarks), detectors alone too.
    ``ours``: our models by name (``face/{name}``, ``image/yunet_{name}``); ``extra``: more
    MediaPipe adapters (e.g. at its default threads) timed under their names."""
    import matplotlib.cbook
    frame = letterbox(read_image(str(matplotlib.cbook.get_sample_data(
        'grace_hopper.jpg', asfileobj=False))))
    rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    first = next(iter(ours.values()))
    boxes = first.landmarker.detect(frame)
    if not len(boxes):
        raise RuntimeError('peer timing: YuNet found no face in the test frame')
    box = boxes[0, :4].astype(np.float64)

    def checked(fn, what):
        def run():
            result = fn()
            if result is None or (isinstance(result, list) and not result):
                raise RuntimeError(f'peer timing: {what} found no face in the test frame')
        return run

    cases = {'detector/yunet': checked(lambda: list(first.landmarker.detect(frame)),
                                       'YuNet')}
    for name, model in ours.items():
        cases.update({
            f'face/{name}': checked(lambda m=model: m.in_box(frame, box), name),
            f'image/yunet_{name}': checked(lambda m=model: m.image(frame), f'YuNet + {name}')})
    if 'dlib' in peers:
        dlib_peer = peers['dlib']
        dlib_box = dlib_peer.dlib_box(box)
        cases.update({
            'face/dlib': checked(lambda: dlib_peer.in_box(rgb, dlib_box), 'dlib'),
            'image/dlib_hog': checked(lambda: dlib_peer.image(rgb, upsample_image),
                                      'dlib HOG'),
            'image/dlib_hog_up1': checked(lambda: dlib_peer.image(rgb, 1), 'dlib HOG x2'),
            'detector/dlib_hog': checked(lambda: list(dlib_peer.detect(rgb, upsample_image)),
                                         'dlib HOG')})
    mediapipe = {'mediapipe': peers['mediapipe']} if 'mediapipe' in peers else {}
    for name, mp_peer in dict(mediapipe, **(extra or {})).items():
        cases.update({
            f'face/{name}': checked(lambda p=mp_peer: p.in_box(rgb, box), name),
            f'face/{name}_tracking': checked(lambda p=mp_peer: p.in_box_tracked(rgb, box),
                                             f'{name} tracking'),
            f'image/{name}': checked(lambda p=mp_peer: p.image(rgb), name)})
    seconds = interleaved_medians(cases, rounds, warmup=3, desc='peer timing')
    return {name: 1000 * value for name, value in seconds.items()}


def peer_versions(peers: Dict) -> Dict[str, str]:
    import onnxruntime as ort
    versions = dict(onnxruntime=ort.__version__)
    if 'dlib' in peers:
        versions['dlib'] = peers['dlib'].dlib.__version__
    if 'mediapipe' in peers:
        import mediapipe
        versions['mediapipe'] = mediapipe.__version__
    return versions


def lite_model() -> Tuple[Optional[Tuple[str, Optional[str]]], Optional[str]]:
    """((config, weights), None) of :data:`LITE_MODEL` where the model zoo has it with its
    weights, else (None, the one-line skip message)."""
    if not is_shipped_model(LITE_MODEL):
        return None, (f'lite model skipped: no {LITE_MODEL!r} in the model zoo '
                      f'(configs/pipnet/metafile.yml) yet')
    try:
        return resolve_model(LITE_MODEL), None
    except InputError as error:  # in the metafile, its weights not trained yet
        return None, f'lite model skipped: {error}'


def our_models(tmp: str) -> Tuple[Dict[str, str], List[str]]:
    """Our models exported to ONNX in ``tmp``: {'ours': the default, 'ours_person': the
    person-disjoint one, 'ours_lite': :data:`LITE_MODEL` where the model zoo has it} ->
    .onnx paths, and the skip message of a model that is not there."""
    models = dict(ours=(DEFAULT_CONFIG, DEFAULT_CHECKPOINT),
                  ours_person=resolve_model('pipnet-ytf68-person'))
    skipped = []
    lite, reason = lite_model()
    if lite is None:
        skipped.append(reason)
        print(reason)
    else:
        models['ours_lite'] = lite
    return {name: export_onnx(config, weights, osp.join(tmp, f'peers_{name}.onnx'))
            for name, (config, weights) in models.items()}, skipped


def peer_figures(tmp: str, args) -> Dict:
    """The peer comparison, every library on the same ``args.threads`` cores
    (:func:`pinned_cores`): accuracy on the ytf68 held-out people (when that data is
    here), every library on ``args.accuracy_threads`` threads (the points do not depend
    on it; 2 XNNPACK threads on 2 busy cores took MediaPipe from 3 ms to over a second a
    call), and timing on ``args.threads`` threads (MediaPipe at its own default too)."""
    # given back at the end
    saved = torch.get_num_threads(), cv2.getNumThreads(), os.environ.get('OMP_NUM_THREADS')
    with pinned_cores(args.threads) as cores:
        threads = pin_threads(args.threads)
        onnx_files, skipped = our_models(tmp)
        peers, missing = load_peers(args.threads, crop_scale=args.mediapipe_crop)
        skipped += missing
        figures = dict(cores=cores, threads=threads, accuracy_threads=args.accuracy_threads,
                       skipped=skipped, versions=peer_versions(peers),
                       mediapipe_crop_scale=args.mediapipe_crop,
                       dlib_upsample=args.dlib_upsample, label_frame_shift=LABEL_FRAME_SHIFT,
                       accuracy=None, same_faces=None)
        if osp.isfile(args.ytf68_ann) and osp.isdir(args.ytf68_images):
            figures.update(peer_accuracy_figures(args, peers, onnx_files))
        else:
            message = (f'peer accuracy skipped: {args.ytf68_ann} or {args.ytf68_images} not '
                       f'found (the ytf68 held-out people, laid out by '
                       f'tools/prepare_ytf68.sh)')
            print(message)
            skipped.append(message)
        extra = {}
        if 'mediapipe' in peers and args.threads != 1:
            extra['mediapipe_default_threads'] = MediaPipePeer(None, args.mediapipe_crop)
        timed = {name: OursPeer(onnx_files[name], args.threads, name)
                 for name in ('ours', 'ours_lite') if name in onnx_files}
        figures['timing_ms'] = peer_timing(peers, timed, args.repeats, extra=extra)
    torch.set_num_threads(saved[0])
    cv2.setNumThreads(saved[1])
    if saved[2] is None:
        os.environ.pop('OMP_NUM_THREADS', None)
    else:
        os.environ['OMP_NUM_THREADS'] = saved[2]
    return figures


def peer_accuracy_figures(args, peers: Dict, onnx_files: Dict[str, str]) -> Dict:
    """``accuracy``, ``same_faces`` and ``dlib_box`` of :func:`peer_figures` on
    ``args.ytf68_ann`` (dlib's box fitted on ``args.ytf68_fit_ann``; ``peers``' dlib
    gets the fit too)."""
    acc_peers, _ = load_peers(args.accuracy_threads, crop_scale=args.mediapipe_crop,
                              quiet=True)
    ours = {name: OursPeer(path, args.accuracy_threads, name)
            for name, path in onnx_files.items()}
    figures = {}
    if 'dlib' in acc_peers:
        if osp.isfile(args.ytf68_fit_ann):
            box, used = fit_dlib_box(acc_peers['dlib'],
                                     load_face_images(args.ytf68_fit_ann, args.ytf68_images),
                                     args.dlib_upsample)
            print(f'dlib box from the landmark square, fitted on {used} faces of '
                  f'{args.ytf68_fit_ann}: side x{box[0]:.3f}, centre shift '
                  f'({box[1]:+.3f}, {box[2]:+.3f}) sides')
        else:
            box, used = DLIB_BOX_FALLBACK, 0
            print(f'{args.ytf68_fit_ann} not found: dlib\'s box from the landmark square '
                  f'by the stored fit {box}')
        acc_peers['dlib'].box_calibration = box
        if 'dlib' in peers:
            peers['dlib'].box_calibration = box
        figures['dlib_box'] = dict(side_ratio=box[0], shift_x=box[1], shift_y=box[2],
                                   fitted_on_faces=used)
    images = load_face_images(args.ytf68_ann, args.ytf68_images)[:args.peer_faces]
    gt = np.concatenate([item['points'] for item in images])
    predictions = peer_predictions(acc_peers, ours, images, args.dlib_upsample)
    figures['accuracy'] = peer_accuracy(predictions, gt)
    figures['same_faces'] = same_face_comparisons(predictions, gt)
    return figures


#: Pareto rows: (label, short label for the plot, accuracy key, timing key)
PEER_ROWS = (
    ('dlib 68-point predictor, its box from the landmark square (fitted)',
     'dlib, fitted box', 'box/dlib', 'face/dlib'),
    ('dlib 68-point predictor, the landmark square as its box', 'dlib, square box',
     'box/dlib_square', 'face/dlib'),
    ('MediaPipe face mesh on the box\'s crop (its detector inside)', 'MediaPipe, crop',
     'box/mediapipe', 'face/mediapipe'),
    ('MediaPipe on the crop, at its default threads (1)', 'MediaPipe, crop, 1 thread',
     'box/mediapipe', 'face/mediapipe_default_threads'),
    ('MediaPipe landmarks alone: video mode on the crop, tracking (time; NME: the crop row)',
     'MediaPipe, tracking', 'box/mediapipe', 'face/mediapipe_tracking'),
    ('MediaPipe tracking, at its default threads (1)', 'MediaPipe, tracking, 1 thread',
     'box/mediapipe', 'face/mediapipe_default_threads_tracking'),
    ('ours, default model (has seen these people)', 'ours, default', 'box/ours',
     'face/ours'),
    ('ours, person-disjoint model (never saw them)', 'ours, person-disjoint',
     'box/ours_person', 'face/ours'),
    ('ours, lite model', 'ours, lite', 'box/ours_lite', 'face/ours_lite'),
    ('dlib HOG + predictor, whole image', 'dlib HOG + predictor', 'image/dlib_hog',
     'image/dlib_hog'),
    ('MediaPipe face mesh, whole image', 'MediaPipe, image', 'image/mediapipe',
     'image/mediapipe'),
    ('MediaPipe, whole image, at its default threads (1)', 'MediaPipe, image, 1 thread',
     'image/mediapipe', 'image/mediapipe_default_threads'),
    ('YuNet + ours, default model', 'YuNet + ours, default', 'image/yunet_ours',
     'image/yunet_ours'),
    ('YuNet + ours, person-disjoint model', 'YuNet + ours, person-disjoint',
     'image/yunet_ours_person', 'image/yunet_ours'),
    ('YuNet + ours, lite model', 'YuNet + ours, lite', 'image/yunet_ours_lite',
     'image/yunet_ours_lite'),
)


def pareto_rows(peers: Dict) -> List[Dict]:
    """The rows of the Pareto table that have figures, ``front7``/``front68``: on the
    front of their mode (per face / per image: nothing both faster and more accurate).
    A row without its time is kept only as the first one of its accuracy key when no row
    of that key has a time."""
    accuracy, timing = peers.get('accuracy') or {}, peers.get('timing_ms') or {}
    timed_keys = {acc_key for _, _, acc_key, time_key in PEER_ROWS if time_key in timing}
    rows = []
    for label, short, acc_key, time_key in PEER_ROWS:
        if time_key not in timing and (acc_key not in accuracy or acc_key in timed_keys or
                                       any(r['key'] == acc_key for r in rows)):
            continue
        acc = accuracy.get(acc_key, {})
        rows.append(dict(label=label, short=short, key=acc_key, mode=acc_key.split('/')[0],
                         ms=timing.get(time_key), **acc))
    for k in (68, 7):
        for row in rows:
            if row.get(f'nme{k}') is None or row['ms'] is None:
                row[f'front{k}'] = None
                continue
            row[f'front{k}'] = not any(
                o is not row and o['mode'] == row['mode'] and o.get(f'nme{k}') is not None and
                o['ms'] is not None and o['ms'] <= row['ms'] and
                o[f'nme{k}'] <= row[f'nme{k}'] and
                (o['ms'] < row['ms'] or o[f'nme{k}'] < row[f'nme{k}']) for o in rows)
    return rows


def print_peers(peers: Dict) -> None:
    def num(value, digits=2):
        return '-' if value is None else f'{value:.{digits}f}'

    print('\npeers, threads: ' + '; '.join(f'{k}: {v}' for k, v in peers['threads'].items()))
    print('versions: ' + ', '.join(f'{k} {v}' for k, v in peers['versions'].items()))
    print(f'pinned to cores {peers.get("cores")}; peers\' points moved into the labels\' '
          f'frame (1-based) by ' + ', '.join(f'{k} +{v:g} px' for k, v in
                                            LABEL_FRAME_SHIFT.items()))
    for line in peers['skipped']:
        print(line)
    print('\n| method (ytf68 held-out people) | ms (per face in a box / per 640x480 image) | '
          'NME 68 (%) | NME 7 (%) | NME 7, offset removed (%) | found / faces | '
          'Pareto (68 / 7) |\n|---|---|---|---|---|---|---|')
    for row in pareto_rows(peers):
        found = f'{row["found"]} / {row["faces"]}' if 'faces' in row else '-'
        front = '/'.join({True: 'yes', False: 'no', None: '-'}[row[f'front{k}']]
                         for k in (68, 7))
        print(f'| {row["label"]} | {num(row["ms"])} | {num(row.get("nme68"))} | '
              f'{num(row.get("nme7"))} | {num(row.get("nme7_offset_removed"))} | {found} | '
              f'{front} |')
    if peers.get('accuracy'):
        print('\n| method | mean offset, 68 points (x, y px) | 7 points (x, y px) | '
              'per point, 7 (x, y px: ' + ', '.join(POINTS7) + ') |\n|---|---|---|---|')
        for method, row in peers['accuracy'].items():
            if 'offset7_px' not in row:
                continue
            off68 = ('-' if 'offset68_px' not in row else
                     '({:+.2f}, {:+.2f})'.format(*row['offset68_px']))
            per_point = ' '.join('({:+.1f}, {:+.1f})'.format(*p)
                                 for p in row['offset_per_point7_px'])
            print(f'| {method} | {off68} | ({row["offset7_px"][0]:+.2f}, '
                  f'{row["offset7_px"][1]:+.2f}) | {per_point} |')
        print('\n| ours vs peer, faces both found | faces | ours NME | peer NME | '
              'peer, offset removed | ours / better peer |\n|---|---|---|---|---|---|')
        for name, row in peers['same_faces'].items():
            print(f'| {name} | {row["faces"]} | {row["ours"]:.2f} | {row["peer"]:.2f} | '
                  f'{row["peer_offset_removed"]:.2f} | {row["ratio"]:.3f} |')
    timing = peers['timing_ms']
    print('\npeer timing (ms, median of interleaved rounds, one face, grace_hopper.jpg in '
          '640x480): ' + ', '.join(f'{k} {v:.2f}' for k, v in timing.items()))


def plot_peers(peers: Dict, path: str, title: str) -> None:
    """NME (68 and 7 points) against ms for every method with both, at its fastest timing
    (the table has the others: MediaPipe's thread settings, its crop without tracking):
    filled marks for landmarks in a given box (ms per face), hollow ones for whole images
    (ms per image); dotted: each mode's Pareto front."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter, ScalarFormatter
    fastest: Dict[str, Dict] = {}
    for r in pareto_rows(peers):
        if r['ms'] is not None and (r['key'] not in fastest or
                                    r['ms'] < fastest[r['key']]['ms']):
            fastest[r['key']] = r
    rows = list(fastest.values())
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.4))
    colors = {'dlib': 'tab:blue', 'mediapipe': 'tab:orange', 'ours': 'tab:green'}
    for ax, k in zip(axes, (68, 7)):
        for mode, marker in (('box', 'o'), ('image', 's')):
            front = sorted([r for r in rows if r['mode'] == mode and r.get(f'front{k}')],
                           key=lambda r: r['ms'])
            if len(front) > 1:
                ax.plot([r['ms'] for r in front], [r[f'nme{k}'] for r in front], ':',
                        color='grey', lw=1)
            for r in rows:
                if r['mode'] != mode or r.get(f'nme{k}') is None:
                    continue
                peer = next(n for n in colors if n in r['key'])
                ax.scatter(r['ms'], r[f'nme{k}'], marker=marker, s=60,
                           facecolors=colors[peer] if mode == 'box' else 'none',
                           edgecolors=colors[peer], linewidths=1.5)
                failures = f' ({r["failures"]} missed)' if r.get('failures') else ''
                below = 'default' in r['short'] or r['short'].startswith('MediaPipe, image')
                ax.annotate(r['short'] + failures, (r['ms'], r[f'nme{k}']),
                            textcoords='offset points', xytext=(6, -11 if below else 4),
                            fontsize=7.5)
        ax.set_xscale('log')
        times = [r['ms'] for r in rows]
        ax.set_xticks([t for t in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
                       if min(times) / 2 <= t <= max(times) * 2])
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel('ms, log scale (filled: per face in a given box; hollow: per 640x480 '
                      'image, detector included)', fontsize=8)
        ax.set_ylabel(f'NME, {k} points (%, inter-ocular)')
        ax.set_title(f'{k} points' + (' (dlib and ours)' if k == 68 else
                                      ': eye corners, nose tip, mouth corners'), fontsize=10)
        ax.grid(True, which='both', alpha=0.3)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    if osp.dirname(path):
        os.makedirs(osp.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f'peer Pareto plot: {path}')


def peer_goals(peers: Dict) -> List[Tuple[str, float, str]]:
    """(goal, measured, target) of the peer comparison: each of our models' NME over every
    peer's on the faces both found (the largest ratio: the closest peer), in a given box
    and through each one's own detector; the lite model's time per face over MediaPipe's
    fastest (crop or tracking, either thread setting) and its time per image over dlib's
    HOG + predictor (the default model's, as pending, until the lite model ships)."""
    goals = []
    same = peers.get('same_faces') or {}
    for prefix, where in (('box/', 'in the box'), ('image/yunet_', 'each with its own '
                                                                  'detector')):
        for name, model in OURS.items():
            for k in (68, 7):
                ratios = [row['ratio'] for key, row in same.items()
                          if key.startswith(f'{prefix}{name} vs') and
                          key.endswith(f'({k} points)')]
                if ratios:
                    goals.append((f'{model} NME / every peer\'s (its better of label frame '
                                  f'and offset-removed), {k} points, {where}, same faces: '
                                  f'the largest ratio', max(ratios), '< 1.0'))
    timing = peers.get('timing_ms') or {}
    lite = 'ours_lite' if 'face/ours_lite' in timing else None
    name, target = (lite, '< 1.0') if lite else ('ours', 'pending (the lite model: < 1.0)')
    model = OURS[name]
    mediapipe = [v for k, v in timing.items() if k.startswith('face/mediapipe')]
    if mediapipe and f'face/{name}' in timing:
        goals.append((f'{model} ms per face / MediaPipe face mesh\'s fastest per face (crop '
                      f'or tracking, 2 threads or its default)',
                      timing[f'face/{name}'] / min(mediapipe), target))
    if 'image/dlib_hog' in timing and f'image/yunet_{name}' in timing:
        goals.append((f'per-image time, YuNet + {model} / dlib HOG + predictor (640x480)',
                      timing[f'image/yunet_{name}'] / timing['image/dlib_hog'], target))
    return goals


def rounded(value):
    """Floats rounded to 4 decimals, inside dicts and lists too (for the JSON line)."""
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(item) for item in value]
    return round(float(value), 4) if isinstance(value, (float, np.floating)) else value


def goal_met(value: float, target: str) -> str:
    if target.startswith('pending'):
        return 'pending'
    op, bound = target.split()
    met = {'>=': value >= float(bound), '<=': value <= float(bound),
           '<': value < float(bound)}[op]
    return 'yes' if met else 'NO'


# --- Precision: int8 (ONNX Runtime static quantisation) and bf16 (PyTorch autocast) ---
PRECISIONS = ('ort_fp32', 'ort_int8', 'eager_fp32', 'eager_bf16')


def precision_runners(config: str, checkpoint: str, fp32_file: str, int8_file: str,
                      threads: int) -> Dict[str, Callable[[np.ndarray], np.ndarray]]:
    """{precision: (1, 3, h, w) float32 BGR 0-255 crop -> (1, K, 2) keypoints, crop px}:
    the exported graph in ONNX Runtime (fp32, int8; ``threads`` intra-op threads, no
    spinning) and the same network + decoding eager in PyTorch (``PIPNetDeployModel``,
    channels_last as the package runs it), fp32 and under CPU autocast to bf16 (the
    decoding's outputs cast back to float32)."""
    from pipnet_onnxruntime import PIPNetONNXPredictor
    sessions = {name: PIPNetONNXPredictor(path, threads=threads).session
                for name, path in (('ort_fp32', fp32_file), ('ort_int8', int8_file))}
    deploy = PIPNetDeployModel(init_model(config, checkpoint, device='cpu')).eval()
    deploy.model.to(memory_format=torch.channels_last)

    def ort(session):
        return lambda crop: session.run(['keypoints'], {'images': crop})[0]

    @torch.no_grad()
    def eager(crop, bf16=False):
        inputs = torch.from_numpy(crop).contiguous(memory_format=torch.channels_last)
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
            keypoints = deploy(inputs)[0]
        return keypoints.float().numpy()
    return dict(ort_fp32=ort(sessions['ort_fp32']), ort_int8=ort(sessions['ort_int8']),
                eager_fp32=eager, eager_bf16=lambda crop: eager(crop, bf16=True))


def precision_nme(runners: Dict[str, Callable], fp32_file: str,
                  images: Sequence[Dict]) -> Dict[str, float]:
    """NME (%, 68 points, inter-ocular 36 / 45: the project's metric) of every runner on
    ``images`` (``load_face_images``), each face in its landmark square, the crops made
    as ``PIPNetONNXPredictor`` makes them (the same crops for all), batch 1."""
    from pipnet_onnxruntime import PIPNetONNXPredictor
    crops = PIPNetONNXPredictor(fp32_file, threads=1)
    preds: Dict[str, List[np.ndarray]] = {name: [] for name in runners}
    for item in tqdm(images, desc='precision NME'):
        image = read_image(item['path'])
        for matrix in crops.crop_transforms(square_boxes(item['points'])):
            crop = cv2.warpAffine(image, matrix, crops.input_size, flags=cv2.INTER_LINEAR)
            batch = np.ascontiguousarray(crop.transpose(2, 0, 1)[None], np.float32)
            for name, run in runners.items():
                preds[name].append((run(batch)[0] - matrix[:, 2]) / matrix[0, 0])
    gt = np.concatenate([item['points'] for item in images])
    visible = np.concatenate([item['visible'] for item in images])
    return {name: float(100 * interocular_nme(np.stack(p), gt, visible).mean())
            for name, p in preds.items()}


def precision_figures(tmp: str, args) -> Optional[Dict]:
    """int8 and bf16 against fp32 for the default model (and the lite one where the model
    zoo has it): the int8 graph calibrated on ``args.calib_crops`` faces of
    ``args.calib_ann`` (:func:`~mmpose_pipnet.deploy.calibration_crops`), NME on
    ``args.ytf68_ann`` and ms per face (batch 1, interleaved, ``args.threads`` threads on
    pinned cores). ``None`` (with a message) without the ytf68 data."""
    if not (osp.isfile(args.calib_ann) and osp.isfile(args.ytf68_ann)):
        print(f'precision part skipped: {args.calib_ann} or {args.ytf68_ann} not found '
              f'(laid out by tools/prepare_ytf68.sh)')
        return None
    models = dict(ours=(DEFAULT_CONFIG, DEFAULT_CHECKPOINT))
    lite, _ = lite_model()  # its skip message: the peer part's
    if lite is not None:
        models['ours_lite'] = lite
    images = load_face_images(args.ytf68_ann, args.ytf68_images)[:args.peer_faces]
    saved = torch.get_num_threads()
    figures = dict(calibration=dict(ann_file=args.calib_ann, crops=args.calib_crops,
                                    method=args.calib_method))
    with pinned_cores(args.threads) as cores:
        torch.set_num_threads(args.threads)
        figures['cores'] = cores
        for name, (config, checkpoint) in models.items():
            fp32 = export_onnx(config, checkpoint, osp.join(tmp, f'precision_{name}.onnx'))
            crops = calibration_crops(config, osp.abspath(args.calib_ann), args.calib_crops)
            start = time.perf_counter()
            int8 = quantize_onnx(fp32, osp.join(tmp, f'precision_{name}_int8.onnx'), crops,
                                 calibrate_method=args.calib_method)
            quantize_s = time.perf_counter() - start
            runners = precision_runners(config, checkpoint, fp32, int8, args.threads)
            nme = precision_nme(runners, fp32, images)
            crop = crops[:1]
            seconds = interleaved_medians({k: (lambda r=r: r(crop)) for k, r in
                                           runners.items()}, args.repeats, warmup=3,
                                          desc=f'precision timing ({name})')
            figures[name] = dict(nme=nme, faces=len(images), quantize_s=quantize_s,
                                 ms_per_face={k: 1000 * v for k, v in seconds.items()},
                                 onnx_mb=dict(fp32=osp.getsize(fp32) / 2 ** 20,
                                              int8=osp.getsize(int8) / 2 ** 20))
    torch.set_num_threads(saved)
    return figures


def print_precision(figures: Dict) -> None:
    """The precision table: NME and its change, ms per face and its ratio to fp32."""
    print(f'\nprecision, cores {figures["cores"]}, int8 calibrated on '
          f'{figures["calibration"]["crops"]} crops of {figures["calibration"]["ann_file"]} '
          f'({figures["calibration"]["method"]})')
    print('| model / precision | NME 68 (%) | NME change vs fp32 (relative) | ms per face '
          '(b1) | ms / fp32 of its runtime |\n|---|---|---|---|---|')
    for name in OURS:
        if name not in figures:
            continue
        row = figures[name]
        for precision in PRECISIONS:
            base = precision.split('_')[0] + '_fp32'
            ms = row['ms_per_face']
            print(f'| {OURS[name]} / {precision} | {row["nme"][precision]:.3f} | '
                  f'{100 * (row["nme"][precision] / row["nme"][base] - 1):+.2f}% | '
                  f'{ms[precision]:.2f} | {ms[precision] / ms[base]:.3f} |')


def precision_goals(figures: Dict) -> List[Tuple[str, float, str]]:
    """int8 and bf16: the NME change (relative, under +2% to offer them) and the time per
    face over fp32's in the same runtime, for each of our models measured."""
    goals = []
    for name in OURS:
        if name not in figures:
            continue
        nme, ms = figures[name]['nme'], figures[name]['ms_per_face']
        goals += [
            (f'{OURS[name]}: int8 (ORT, QDQ) NME change vs fp32, relative',
             nme['ort_int8'] / nme['ort_fp32'] - 1, '< 0.02'),
            (f'{OURS[name]}: int8 / fp32 ms per face (ORT, b1)',
             ms['ort_int8'] / ms['ort_fp32'], '< 1.0'),
            (f'{OURS[name]}: bf16 (eager, CPU autocast) NME change vs fp32, relative',
             nme['eager_bf16'] / nme['eager_fp32'] - 1, '< 0.02'),
            (f'{OURS[name]}: bf16 / fp32 ms per face (eager, b1)',
             ms['eager_bf16'] / ms['eager_fp32'], '< 1.0')]
    return goals


PARTS = ('speed', 'training', 'video', 'peers', 'precision')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--parts', nargs='+', choices=PARTS, default=list(PARTS),
                        help='what to run (default: all)')
    parser.add_argument('--quick', action='store_true',
                        help='a few rounds of every timing (development runs on a busy '
                             'machine, not figures to publish); the peer accuracy is '
                             'measured in full all the same, and so are the precision NMEs')
    parser.add_argument('--rounds', type=int, default=10, help='interleaved rounds')
    parser.add_argument('--train-rounds', type=int, default=6)
    parser.add_argument('--frames', type=int, default=200, help='video clip length')
    peers_args = parser.add_argument_group('peers (optional extras: ' + BENCH_EXTRAS + ')')
    peers_args.add_argument('--repeats', type=int, default=30,
                            help='interleaved rounds of the peer timing')
    peers_args.add_argument('--threads', type=int, default=2,
                            help='threads of every library in the peer comparison')
    peers_args.add_argument('--accuracy-threads', type=int, default=1,
                            help='threads of every library in the accuracy part (the points '
                                 'do not depend on it)')
    peers_args.add_argument('--ytf68-ann', default=osp.join(
        REPO, 'data', 'ytf68_coco', 'ytf68_person_held_out.json'),
        help='the faces of the accuracy part (skipped with a message when absent)')
    peers_args.add_argument('--ytf68-images', default=osp.join(REPO, 'data', 'ytf68', 'images'),
                            help='the image root of the json files\' file_name')
    peers_args.add_argument('--ytf68-fit-ann', default=osp.join(
        REPO, 'data', 'ytf68_coco', 'ytf68_person_train.json'),
        help='faces to fit dlib\'s box from the landmark square on (other people)')
    peers_args.add_argument('--peer-faces', type=int, default=None,
                            help='only the first N images of --ytf68-ann (development)')
    peers_args.add_argument('--mediapipe-crop', type=float, default=2.0,
                            help='MediaPipe in a box: the box\'s square grown this much')
    peers_args.add_argument('--dlib-upsample', type=int, default=1,
                            help='HOG upsampling on the ytf68 images (outer eye corners '
                                 '24-89 px apart; HOG finds faces from about 80 px without)')
    peers_args.add_argument('--peers-plot', default=None,
                            help='write the Pareto plot here (docs/peers_pareto.png)')
    precision_args = parser.add_argument_group(
        'precision (int8, bf16; also --threads, --repeats, --ytf68-ann, --ytf68-images, '
        '--peer-faces)')
    precision_args.add_argument('--calib-ann', default=osp.join(
        REPO, 'data', 'ytf68_coco', 'ytf68_person_train.json'),
        help='int8 calibration faces (training people, not the held-out ones)')
    precision_args.add_argument('--calib-crops', type=int, default=200,
                                help='calibration faces drawn from --calib-ann')
    precision_args.add_argument('--calib-method', default='moving_average',
                                choices=sorted(CALIBRATION), help='activation ranges')
    args = parser.parse_args()
    video_rounds = 30
    if args.quick:
        args.rounds, args.train_rounds, args.frames = 2, 1, 30
        args.repeats, video_rounds = min(args.repeats, 3), 3
    import onnxruntime as ort
    tune_glibc_malloc()  # as tools/train.py does
    ms = train = video = peers = precision = None
    with tempfile.TemporaryDirectory() as tmp:
        if 'peers' in args.parts:  # first: YuNet's OpenMP reads its thread count on loading
            peers = peer_figures(tmp, args)
        if 'precision' in args.parts:
            precision = precision_figures(tmp, args)
        if 'speed' in args.parts:
            ms = inference_figures(tmp, args.rounds)
        if 'training' in args.parts:
            train = training_figures(args.train_rounds)
        if 'video' in args.parts:
            video = video_figures(tmp, args.frames, video_rounds)

    cpu = cpu_info()
    print(f'machine: {platform.processor() or platform.machine()}, '
          f'{torch.get_num_threads()} torch threads, torch {torch.__version__}, '
          f'onnxruntime {ort.__version__}'
          f'{" (--quick: timings not for publication)" if args.quick else ""}')
    print(cpu_line(cpu))
    goals = []
    if ms is not None:
        print('\n| model, per face (ms) | batch 1 | batch 8 | b8/b1 |\n|---|---|---|---|')
        names = list(dict.fromkeys(k.rsplit('/b', 1)[0] for k in ms))
        for name in names:
            one, eight = ms[f'{name}/b1'], ms[f'{name}/b8']
            print(f'| {name} | {one:.2f} | {eight:.2f} | {eight / one:.2f} |')
        goals += [
            ('ORT PIPNet-R18 speed-up over eager (b1)', ms['pipnet_r18/eager/b1'] /
             ms['pipnet_r18/ort/b1'], '>= 1.8'),
            ('ORT PIPNet-MBV2 speed-up over eager (b1)', ms['pipnet_mbv2/eager/b1'] /
             ms['pipnet_mbv2/ort/b1'], '>= 2.5'),
            ('ORT PIPNet-R18 speed-up over eager in NCHW layout (b1)',
             ms['pipnet_r18/eager_nchw/b1'] / ms['pipnet_r18/ort/b1'], '>= 1.8'),
            ('ORT PIPNet-MBV2 speed-up over eager in NCHW layout (b1)',
             ms['pipnet_mbv2/eager_nchw/b1'] / ms['pipnet_mbv2/ort/b1'], '>= 2.5'),
            ('decoding in the ORT graph, share of the run (R18 b1)',
             ms['pipnet_r18/ort_decoding_only/b1'] / ms['pipnet_r18/ort/b1'], '< 0.05'),
            ('decoding in the ORT graph, share of the run (MBV2 b1)',
             ms['pipnet_mbv2/ort_decoding_only/b1'] / ms['pipnet_mbv2/ort/b1'], '< 0.05'),
            ('eager R18 top-down / R18 trunk (b1)', ms['pipnet_r18/eager/b1'] /
             ms['pipnet_r18/trunk/b1'], '<= 1.10'),
            ('eager R18 / HRNetV2-W18 (b1)', ms['pipnet_r18/eager/b1'] /
             ms['hrnetv2_w18/eager/b1'], '<= 0.25'),
            ('eager R18 / RTMPose-m (b1)', ms['pipnet_r18/eager/b1'] / ms['rtmpose_m/eager/b1'],
             '<= 0.6'),
        ] + [(f'{name} batch 8 per face / batch 1', ms[f'{name}/b8'] / ms[f'{name}/b1'],
              '<= 1.0')
             for name in names if name.split('/')[1] in ('eager', 'eager_nchw', 'ort')]
    if video is not None:
        goals.append(('video FPS / bare ORT model faces/s', video['video_fps'] /
                      video['bare_model_faces_per_s'], '>= 0.7'))
    if train is not None:
        goals += [
            ('PIPNet-R18 training step / bare network step (time)',
             train['pipnet_r18/bare_step'] / train['pipnet_r18/train_step'], '<= 1.1'),
            ('PIPNet-MBV2 training step / bare network step (time)',
             train['pipnet_mbv2/bare_step'] / train['pipnet_mbv2/train_step'], '<= 1.1'),
        ]
        print('\n| training step, batch 16, 256 px | images/s |\n|---|---|')
        for name, value in train.items():
            print(f'| {name} | {value:.1f} |')
    if video is not None:
        print(f"\nvideo, one face, 640x480, bundled model in ORT (YuNet every 10 frames on "
              f"the frame shrunk to 320x240 while tracked, tracking, One Euro), decoded "
              f"frames: {video['video_fps']:.1f} FPS ({video['video_fps_with_decoding']:.1f} "
              f"with mp4 decoding, {video['decode_ms']:.2f} ms a frame); bare ORT model "
              f"{video['bare_model_faces_per_s']:.1f} faces/s; landmarks in a box (crop + "
              f"ORT) {video['landmarks_in_box_ms']:.2f} ms; YuNet "
              f"{video['yunet_ms_640x480']:.1f} ms (640x480), {video['yunet_ms_320x240']:.1f} "
              f"ms (320x240); Haar {video['haar_ms_640x480']:.1f} ms (640x480)")
    if peers is not None:
        print_peers(peers)
        goals += peer_goals(peers)
        if args.peers_plot:
            plot_peers(peers, args.peers_plot,
                       f'ytf68 held-out people (NME over the faces each found); '
                       f'{args.threads} thread{"s" if args.threads != 1 else ""} each on '
                       f'the same cores, batch 1, median of {args.repeats} interleaved '
                       f'rounds{" (--quick: provisional timings)" if args.quick else ""}\n'
                       f'{cpu_line(cpu)}')
    if precision is not None:
        print_precision(precision)
        goals += precision_goals(precision)
    print('\n| goal | measured | target | met |\n|---|---|---|---|')
    for name, value, target in goals:
        print(f'| {name} | {value:.3f} | {target} | {goal_met(value, target)} |')
    figures = dict(machine=cpu, quick=args.quick, ms_per_face=ms, train_images_per_s=train,
                   video=video, peers=peers, precision=precision,
                   goals={name: value for name, value, _ in goals})
    print(json.dumps(rounded({k: v for k, v in figures.items() if v is not None})))


if __name__ == '__main__':
    main()
