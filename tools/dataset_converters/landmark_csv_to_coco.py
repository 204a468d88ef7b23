"""Convert a landmark CSV (image,x0,y0,...,xK-1,yK-1) to MMPose's COCO-style face json.

Example (the ytf68 layout):
    python tools/dataset_converters/landmark_csv_to_coco.py data/ytf68/train.csv \
        --image-root data/ytf68/images --out data/ytf68_coco/ytf68_train.json
"""
import argparse
import sys

import mmpose_pipnet  # noqa: F401  (registration)
from mmpose_pipnet.datasets import landmark_csv_to_coco


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('csv', help='csv with a header image,x0,y0,...')
    parser.add_argument('--image-root', required=True,
                        help='folder the csv image paths are relative to')
    parser.add_argument('--out', required=True, help='json to write')
    parser.add_argument('--box-scale', type=float, default=1.0,
                        help='factor on the tight square box of the points (the configs '
                             'pad it by 1.25 again)')
    args = parser.parse_args()
    try:
        faces, points = landmark_csv_to_coco(args.csv, args.image_root, args.out,
                                             args.box_scale)
    except (FileNotFoundError, ValueError) as error:
        sys.exit(f'landmark_csv_to_coco: {error}')
    print(f'{args.out}: {faces} faces, {points} points each')


if __name__ == '__main__':
    main()
