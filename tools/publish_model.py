"""Make a release checkpoint: weights only (float16 by default) plus the dataset metainfo.

Example:
    python tools/publish_model.py work_dirs/ytf68_mbv2_all/epoch_6.pth \
        checkpoints/pipnet_mbv2_ytf68.pth
"""
import argparse

import mmpose_pipnet  # noqa: F401  (stack fixes: loads mmengine checkpoints)
from mmpose_pipnet.apis import publish_checkpoint, sha256_prefix


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='training checkpoint')
    parser.add_argument('dst', help='release checkpoint to write')
    parser.add_argument('--fp32', action='store_true', help='keep float32 weights')
    args = parser.parse_args()
    info = publish_checkpoint(args.src, args.dst, half=not args.fp32)
    print(f'{args.dst}: {info["tensors"]} tensors, {info["bytes"] / 1e6:.2f} MB, '
          f'sha256 {sha256_prefix(args.dst)}')


if __name__ == '__main__':
    main()
