"""Speed side by side, in one process, interleaved: PIPNet vs the bare trunks and MMPose's
face models, eager (channels_last, as shipped, and MMPose's default NCHW layout) / ONNX
Runtime, batch 1 vs 8, training steps, video.

All models take 256x256 crops with random weights (WFLW, 98 points; no flip test). Prints
tables (ms per face, ratios, goals) and, as its last line, one JSON object with every
figure. Example (the figures of docs/benchmarks.md):
    python tools/analysis/benchmark.py
"""
import argparse
import itertools
import json
import os.path as osp
import platform
import statistics
import sys
import tempfile
import time
from typing import Callable, Dict, Optional, Tuple

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
from mmpose_pipnet.apis.video import process_video
from mmpose_pipnet.deploy import export_decoder_onnx, export_onnx
from tqdm import tqdm

HERE = osp.dirname(osp.abspath(__file__))
sys.path += [HERE, osp.dirname(HERE)]  # the helpers: _common.py here, _malloc.py in tools/
from _common import make_still_clip  # noqa: E402
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
    """A training batch through the config's own train pipeline (less ``Albumentation``):
    a random image with K points inside a face-sized box, ``batch`` times (each augmented
    anew)."""
    cfg = model.cfg
    dataset_cls = DATASETS.get(cfg.train_dataloader.dataset.type)
    meta = parse_pose_metainfo(dict(dataset_cls.METAINFO))
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
    pipeline = Compose([step for step in cfg.train_dataloader.dataset.pipeline
                        if step['type'] != 'Albumentation'])
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


def video_figures(tmp: str, frames: int, interval: int = 10) -> dict:
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
        rounds=30, desc='video parts')
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


def rounded(value):
    """Floats rounded to 4 decimals, inside dicts too (for the JSON line)."""
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    return round(float(value), 4) if isinstance(value, (float, np.floating)) else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=10, help='interleaved rounds')
    parser.add_argument('--train-rounds', type=int, default=6)
    parser.add_argument('--frames', type=int, default=200, help='video clip length')
    args = parser.parse_args()
    import onnxruntime as ort
    tune_glibc_malloc()  # as tools/train.py does
    with tempfile.TemporaryDirectory() as tmp:
        ms = inference_figures(tmp, args.rounds)
        train = training_figures(args.train_rounds)
        video = video_figures(tmp, args.frames)

    print(f'machine: {platform.processor() or platform.machine()}, '
          f'{torch.get_num_threads()} torch threads, torch {torch.__version__}, '
          f'onnxruntime {ort.__version__}')
    print('\n| model, per face (ms) | batch 1 | batch 8 | b8/b1 |\n|---|---|---|---|')
    names = list(dict.fromkeys(k.rsplit('/b', 1)[0] for k in ms))
    for name in names:
        one, eight = ms[f'{name}/b1'], ms[f'{name}/b8']
        print(f'| {name} | {one:.2f} | {eight:.2f} | {eight / one:.2f} |')
    goals = [
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
    ] + [(f'{name} batch 8 per face / batch 1', ms[f'{name}/b8'] / ms[f'{name}/b1'], '<= 1.0')
         for name in names if name.split('/')[1] in ('eager', 'eager_nchw', 'ort')] + [
        ('video FPS / bare ORT model faces/s', video['video_fps'] /
         video['bare_model_faces_per_s'], '>= 0.7'),
        ('PIPNet-R18 training step / bare network step (time)', train['pipnet_r18/bare_step'] /
         train['pipnet_r18/train_step'], '<= 1.1'),
        ('PIPNet-MBV2 training step / bare network step (time)',
         train['pipnet_mbv2/bare_step'] / train['pipnet_mbv2/train_step'], '<= 1.1'),
    ]
    print('\n| training step, batch 16, 256 px | images/s |\n|---|---|')
    for name, value in train.items():
        print(f'| {name} | {value:.1f} |')
    print(f"\nvideo, one face, 640x480, bundled model in ORT (YuNet every 10 frames on the "
          f"frame shrunk to 320x240 while tracked, tracking, One Euro), decoded frames: "
          f"{video['video_fps']:.1f} FPS ({video['video_fps_with_decoding']:.1f} with mp4 "
          f"decoding, {video['decode_ms']:.2f} ms a frame); bare ORT model "
          f"{video['bare_model_faces_per_s']:.1f} faces/s; landmarks in a box (crop + ORT) "
          f"{video['landmarks_in_box_ms']:.2f} ms; YuNet {video['yunet_ms_640x480']:.1f} ms "
          f"(640x480), {video['yunet_ms_320x240']:.1f} ms (320x240); Haar "
          f"{video['haar_ms_640x480']:.1f} ms (640x480)")
    print('\n| goal | measured | target | met |\n|---|---|---|---|')
    for name, value, target in goals:
        op, bound = target.split()
        met = {'>=': value >= float(bound), '<=': value <= float(bound),
               '<': value < float(bound)}[op]
        print(f'| {name} | {value:.3f} | {target} | {"yes" if met else "NO"} |')
    figures = dict(ms_per_face=ms, train_images_per_s=train, video=video,
                   goals={name: value for name, value, _ in goals})
    print(json.dumps(rounded(figures)))


if __name__ == '__main__':
    main()
