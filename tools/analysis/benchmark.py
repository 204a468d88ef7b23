"""Speed side by side, in one process, interleaved: PIPNet vs the bare trunks and MMPose's
face models, eager (channels_last, as shipped, and MMPose's default NCHW layout) / ONNX
Runtime, batch 1 vs 8, training steps, video.

All models take 256x256 crops with random weights (WFLW, 98 points; no flip test). Prints
tables (ms per face, ratios, goals) and, as its last line, one JSON object with every
figure. Example (the README's figures):
    python tools/analysis/benchmark.py
"""
import argparse
import itertools
import json
import os.path as osp
import platform
import tempfile

import cv2
import numpy as np
import onnxruntime as ort
import torch

import mmpose_pipnet  # noqa: F401  (stack fixes + registration)
from mmengine.utils import get_installed_path
from mmpose_pipnet.apis import (DEFAULT_CHECKPOINT, DEFAULT_CONFIG, DEFAULT_FACE_DETECTOR,
                                FaceDetector, FaceLandmarker, FaceTracker, read_image)
from mmpose_pipnet.apis.video import process_video
from mmpose_pipnet.deploy import export_decoder_onnx, export_onnx
from mmpose_pipnet.evaluation.benchmark import (eval_model, interleaved_medians,
                                                predict_case, train_step_cases)
from mmpose_pipnet.evaluation.video_jitter import make_still_clip
from mmpose_pipnet.utils import tune_glibc_malloc

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MMPOSE_CONFIGS = osp.join(get_installed_path('mmpose'), '.mim', 'configs', 'face_2d_keypoint')
CONFIGS = dict(
    pipnet_r18=osp.join(REPO, 'configs', 'pipnet', 'wflw_res18.py'),
    pipnet_mbv2=osp.join(REPO, 'configs', 'pipnet', 'wflw_mbv2.py'),
    hrnetv2_w18=osp.join(MMPOSE_CONFIGS, 'topdown_heatmap', 'wflw',
                         'td-hm_hrnetv2-w18_8xb64-60e_wflw-256x256.py'),
    rtmpose_m=osp.join(MMPOSE_CONFIGS, 'rtmpose', 'wflw', 'rtmpose-m_8xb64-60e_wflw-256x256.py'))


def ort_session(onnx_file: str) -> ort.InferenceSession:
    """A CPU session whose idle threads do not spin (as in the package's predictor): a
    spinning session takes the cores from the case measured after it."""
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
