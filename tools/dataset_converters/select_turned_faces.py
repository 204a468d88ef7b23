"""Keep the faces of a 68-point COCO json whose head is turned: |yaw| of the labels above a
threshold (head pose from the labelled points, ``mmpose_pipnet.apis.estimate_head_pose``).

The default recipe's turned-face stages (configs/pipnet/ytf68_recipe/README.md,
docs/turned_faces.md) repeat these real turned faces in training (pose-balanced sampling)
and take a third of the synthetic turned views (``--min-yaw 0 --every 3``). Example (the
ytf68 layout):
    python tools/dataset_converters/select_turned_faces.py \
        data/ytf68_coco/ytf68_person_train.json data/ytf68_coco/ytf68_person_train_yaw25.json
"""
import argparse
import json
import sys

import numpy as np

from mmpose_pipnet.apis.head_pose import NUM_POINTS, estimate_head_pose
from mmpose_pipnet.utils import InputError


def select_turned_faces(coco: dict, min_yaw: float, source: str = 'the json',
                        every: int = 1) -> dict:
    """``coco`` with only the annotations whose |yaw| (degrees) exceeds ``min_yaw`` (of
    those, every ``every``-th in file order: a share of the synthetic views) and their
    images; ``source`` names the file in errors."""
    if every < 1:
        raise InputError(f'--every {every}: expected a positive integer')
    annotations = coco.get('annotations') or []
    if not annotations:
        raise InputError(f'{source}: no annotations')
    try:
        points = np.array([a['keypoints'] for a in annotations], np.float64)
        points = points.reshape(len(annotations), NUM_POINTS, 3)[..., :2]
    except (KeyError, ValueError):
        raise InputError(f'{source}: annotations[].keypoints must hold {NUM_POINTS} '
                         f'(x, y, v) iBUG-68 points each') from None
    yaw = np.abs(estimate_head_pose(points)[:, 0])
    kept = [a for a, turn in zip(annotations, yaw) if turn > min_yaw][::every]
    image_ids = {a['image_id'] for a in kept}
    return dict(coco, annotations=kept,
                images=[i for i in coco['images'] if i['id'] in image_ids])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_file', help='MMPose COCO-style json with 68 points per face')
    parser.add_argument('out', help='json to write')
    parser.add_argument('--min-yaw', type=float, default=25.0,
                        help='keep faces with |yaw| above this, degrees (default 25)')
    parser.add_argument('--every', type=int, default=1, metavar='N',
                        help='of those, keep every N-th in file order (default 1: all)')
    args = parser.parse_args()
    try:
        with open(args.ann_file) as f:
            coco = json.load(f)
        kept = select_turned_faces(coco, args.min_yaw, args.ann_file, args.every)
    except (OSError, ValueError) as error:  # InputError and bad json too: one line
        sys.exit(f'select_turned_faces: {error}')
    with open(args.out, 'w') as f:
        json.dump(kept, f)
    print(f'{args.out}: {len(kept["annotations"])} of {len(coco["annotations"])} faces '
          f'with |yaw| > {args.min_yaw:g} degrees' +
          (f', every {args.every}-th of them' if args.every > 1 else ''))


if __name__ == '__main__':
    main()
