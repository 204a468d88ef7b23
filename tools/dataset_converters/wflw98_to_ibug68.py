"""Convert an MMPose COCO-style WFLW json (98 points) to a 68-point iBUG / 300W json.

Keeps images, categories and each annotation's bbox / center / scale; keypoints become the
68 iBUG points (mmpose_pipnet/datasets/wflw98_to_ibug68.py has the index table) and
num_keypoints their labelled count. Example:
    python tools/dataset_converters/wflw98_to_ibug68.py \
        data/wflw/annotations/face_landmarks_wflw_test.json \
        --out data/wflw/annotations/face_landmarks_wflw_test_ibug68.json
"""
import argparse
import sys

from mmpose_pipnet.datasets.wflw98_to_ibug68 import wflw98_json_to_ibug68


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('json', help="MMPose's COCO-style WFLW json (98 keypoints)")
    parser.add_argument('--out', required=True, help='68-point json to write')
    args = parser.parse_args()
    try:
        faces = wflw98_json_to_ibug68(args.json, args.out)
    except (FileNotFoundError, ValueError) as error:
        sys.exit(f'wflw98_to_ibug68: {error}')
    print(f'{args.out}: {faces} faces, 68 points each')


if __name__ == '__main__':
    main()
