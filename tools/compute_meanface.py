"""Compute a PIPNet mean face (one line of 2K floats) from a COCO-style keypoint json.

Example:
    python tools/compute_meanface.py data/ytf68_coco/ytf68_train.json --out ytf68.txt
"""
import argparse

import mmpose_pipnet  # noqa: F401  (registration)
from mmpose_pipnet.nrm import (compute_neighbors, meanface_from_coco, reverse_index,
                               save_meanface)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_file', help='COCO-style json with keypoints and bbox')
    parser.add_argument('--out', required=True, help='mean-face file to write')
    parser.add_argument('--num-nb', type=int, default=10, help='neighbours, for the summary')
    args = parser.parse_args()
    meanface = meanface_from_coco(args.ann_file)
    save_meanface(meanface, args.out)
    _, _, max_len = reverse_index(compute_neighbors(meanface, args.num_nb))
    print(f'{args.out}: K={len(meanface)}, max_len={max_len} with num_nb={args.num_nb}')


if __name__ == '__main__':
    main()
