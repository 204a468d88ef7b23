"""Convert a 300W-style folder (images with same-named .pts files) to COCO-style json.

Example:
    python tools/dataset_converters/pts_to_coco.py data/300w/images/helen/trainset \
        --out data/300w/annotations/helen_train.json
"""
import argparse

import mmpose_pipnet  # noqa: F401  (registration)
from mmpose_pipnet.datasets import pts_folder_to_coco


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('root', help='folder searched recursively for *.pts')
    parser.add_argument('--out', required=True, help='json to write (file_name is '
                                                     'relative to root)')
    parser.add_argument('--box-scale', type=float, default=1.0,
                        help='factor on the tight square box of the points')
    args = parser.parse_args()
    faces = pts_folder_to_coco(args.root, args.out, args.box_scale)
    print(f'{args.out}: {faces} faces')


if __name__ == '__main__':
    main()
