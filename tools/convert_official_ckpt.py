"""Convert a reference PIPNet checkpoint (github jhb86253817/PIPNet) for one of our configs.

Example:
    python tools/convert_official_ckpt.py pip_32_16_60_r18_l2_l1_10_1_nb10.pth \
        work_dirs/wflw_res18_official.pth --config configs/pipnet/wflw_res18.py

The config must match the checkpoint (backbone, dataset K, num_neighbors, stride); the
result loads with ``mmpose.apis.init_model(config, DST)``.
"""
import argparse

import mmpose_pipnet  # noqa: F401  (stack fixes + registration)
from mmpose_pipnet.official_ckpt import convert_official_checkpoint


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert a reference PIPNet checkpoint to an MMPose checkpoint')
    parser.add_argument('src', help='reference checkpoint (.pth)')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    parser.add_argument('--config', required=True,
                        help='our config the checkpoint matches, e.g. '
                             'configs/pipnet/wflw_res18.py')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    checkpoint = convert_official_checkpoint(args.src, args.dst, args.config)
    print(f'converted {args.src} ({checkpoint["meta"]["arch"]}, '
          f'{len(checkpoint["state_dict"])} tensors) -> {args.dst} for {args.config}')


if __name__ == '__main__':
    main()
