"""Fit a face detector's box calibration to the PIPNet training box on labelled faces.

Runs the detector of CONFIG (raw boxes) on every image of a COCO-style face json, matches
its boxes to the landmark squares, and prints the `box_calibration` to put in CONFIG, with
the detection rate and how well raw and calibrated boxes agree with the landmark squares.
Example (how configs/face_detection/*.py were fitted):
    python tools/analysis/calibrate_face_detector.py configs/face_detection/yunet_face.py \
        --ann data/ytf68_coco/ytf68_train.json --image-root data/ytf68/images
"""
import argparse
import os.path as osp
import sys

import numpy as np

import mmpose_pipnet  # noqa: F401  (registration)
from mmpose_pipnet.apis.face_detection import FaceBoxCalibration, FaceDetector

sys.path.append(osp.dirname(osp.abspath(__file__)))  # _common.py beside this script
from _common import evaluate_face_detector, load_face_images  # noqa: E402


def box_agreement(boxes: np.ndarray, target: np.ndarray) -> str:
    """Medians over (N, 4) box pairs: |side error| and centre error in target sides, IoU."""
    side = np.sqrt(np.prod(boxes[:, 2:] - boxes[:, :2], 1))
    target_side = np.sqrt(np.prod(target[:, 2:] - target[:, :2], 1))
    center_error = np.linalg.norm((boxes[:, :2] + boxes[:, 2:]) / 2 -
                                  (target[:, :2] + target[:, 2:]) / 2, axis=1) / target_side
    low, high = np.maximum(boxes[:, :2], target[:, :2]), np.minimum(boxes[:, 2:], target[:, 2:])
    inter = np.prod(np.clip(high - low, 0, None), 1)
    iou = inter / (side ** 2 + target_side ** 2 - inter)
    return (f'side error {100 * np.median(np.abs(side / target_side - 1)):.1f}%, centre '
            f'error {100 * np.median(center_error):.1f}% of the side, IoU {np.median(iou):.3f}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='face detector config (configs/face_detection/)')
    parser.add_argument('--ann', required=True, help='COCO-style face json')
    parser.add_argument('--image-root', required=True, help='folder of its file_names')
    args = parser.parse_args()
    images = load_face_images(args.ann, args.image_root)
    result = evaluate_face_detector(FaceDetector.from_config(args.config, calibrated=False),
                                    images, desc='detect')
    hit = np.isfinite(result['det_boxes'][:, 0])
    raw, target = result['det_boxes'][hit], result['gt_boxes'][hit]
    calibration = FaceBoxCalibration.fit(raw, target)
    print(f'{result["faces"]} faces, detected {100 * result["detected"]:.2f}%, '
          f'{1000 * result["seconds_per_image"]:.1f} ms/image')
    for name, boxes in (('raw', raw), ('calibrated', calibration(raw))):
        print(f'{name:>10} boxes vs landmark squares: {box_agreement(boxes, target)}')
    print(f'box_calibration={calibration.to_dict()}')


if __name__ == '__main__':
    main()
