"""Train a PIPNet (or any MMPose) model: MMPose's tools/train.py, plus the plugin.

Example:
    python tools/train.py configs/pipnet/wflw_res18.py --work-dir work_dirs/wflw_res18
    python tools/train.py CONFIG --resume            # continue from the last checkpoint
"""
import argparse
import os
import os.path as osp

import mmpose_pipnet  # noqa: F401  (registration)
from mmengine.config import Config, DictAction
from mmpose_pipnet.engine import build_runner
from mmpose_pipnet.utils import InputError
from mmpose_pipnet.utils.files import WriteError
from _malloc import tune_glibc_malloc  # tools/_malloc.py (tools/ is on sys.path)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a pose model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from this checkpoint, or (no value) from the latest '
                             'checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true', help='mixed-precision training')
    parser.add_argument('--no-validate', action='store_true',
                        help='do not evaluate checkpoints during training')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value (e.g. '
                             'train_dataloader.batch_size=8)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Merge the command line into the config (as MMPose's tools/train.py)."""
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main() -> None:
    args = parse_args()
    if not osp.isfile(args.config):
        raise SystemExit(f'train: config file {args.config} not found')
    tune_glibc_malloc()
    cfg = merge_args(Config.fromfile(args.config), args)
    try:
        build_runner(cfg).train()
    # a mistake in the data or config, or a checkpoint the disk refused: one line naming
    # the file, no traceback
    except (InputError, WriteError) as error:
        raise SystemExit(f'train: {error}')


if __name__ == '__main__':
    main()
