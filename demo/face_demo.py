"""Face landmarks on an image or a video with a PIPNet model.

Faces come from --bbox, an MMDetection face detector (--det-config/--det-checkpoint), or
by default OpenCV's Haar cascade (offline, frontal faces). The default model is the
bundled PIPNet-MobileNetV2 (68 points). Examples:
    python demo/face_demo.py face.jpg --out face_landmarks.jpg
    python demo/face_demo.py clip.mp4 --out clip_landmarks.mp4 --device cuda:0
"""
import argparse
import os.path as osp

import mmpose_pipnet  # noqa: F401  (stack fixes + registration)
import cv2
import mmcv
import numpy as np
from mmpose.apis import inference_topdown, init_model
from mmpose.registry import VISUALIZERS
from mmpose.structures import PoseDataSample, merge_data_samples
from tqdm import tqdm

from mmpose_pipnet.apis import HaarFaceDetector

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CONFIG = osp.join(REPO, 'configs', 'pipnet', 'ytf68_mbv2.py')
DEFAULT_CHECKPOINT = osp.join(REPO, 'checkpoints', 'pipnet_mbv2_ytf68.pth')
VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv')


def build_box_source(args: argparse.Namespace):
    """A function from a BGR frame to face boxes (N, 4) x1, y1, x2, y2."""
    if args.bbox is not None:
        boxes = np.array([args.bbox], np.float32)
        return lambda frame: boxes
    if args.det_config:
        from mmdet.apis import inference_detector, init_detector
        detector = init_detector(args.det_config, args.det_checkpoint, device=args.device)

        def detect(frame):
            pred = inference_detector(detector, frame).pred_instances.cpu().numpy()
            return pred.bboxes[pred.scores > args.det_thr]
        return detect
    return HaarFaceDetector()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('input', help='image or video file')
    parser.add_argument('--out', required=True, help='image or video to write')
    parser.add_argument('--config', default=DEFAULT_CONFIG, help='PIPNet config')
    parser.add_argument('--checkpoint', default=DEFAULT_CHECKPOINT, help='its weights')
    parser.add_argument('--bbox', type=float, nargs=4, metavar=('X1', 'Y1', 'X2', 'Y2'),
                        help='one face box in image pixels, for every frame')
    parser.add_argument('--det-config', help='MMDetection face detector config')
    parser.add_argument('--det-checkpoint', help='its weights')
    parser.add_argument('--det-thr', type=float, default=0.5, help='detector score threshold')
    parser.add_argument('--device', default='cpu', help='cpu, cuda:0, ...')
    parser.add_argument('--radius', type=int, default=2, help='landmark radius (px)')
    args = parser.parse_args()
    if bool(args.det_config) != bool(args.det_checkpoint):
        parser.error('--det-config and --det-checkpoint go together')
    for path in (args.input, args.checkpoint):
        if not osp.isfile(path):
            raise SystemExit(f'{path} not found')

    model = init_model(args.config, args.checkpoint, device=args.device)
    model.cfg.visualizer.radius = args.radius
    visualizer = VISUALIZERS.build(model.cfg.visualizer)
    visualizer.set_dataset_meta(model.dataset_meta)
    boxes_of = build_box_source(args)

    def draw(frame: np.ndarray) -> np.ndarray:
        boxes = boxes_of(frame)
        results = inference_topdown(model, frame, boxes) if len(boxes) else []
        visualizer.add_datasample(
            'result', mmcv.bgr2rgb(frame),
            data_sample=merge_data_samples(results) if results else PoseDataSample(),
            draw_gt=False,
            draw_bbox=True, kpt_thr=-np.inf, show=False)
        return mmcv.rgb2bgr(visualizer.get_image())

    if args.input.lower().endswith(VIDEO_EXTS):
        video = mmcv.VideoReader(args.input)
        writer = cv2.VideoWriter(args.out, cv2.VideoWriter_fourcc(*'mp4v'), video.fps,
                                 (video.width, video.height))
        for frame in tqdm(video, total=len(video), desc='frames'):
            writer.write(draw(frame))
        writer.release()
    else:
        mmcv.imwrite(draw(mmcv.imread(args.input)), args.out)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
