"""Plot a run's training losses and validation NME to a PNG.

Example:
    python tools/analysis/plot_training_curves.py work_dirs/ytf68_mbv2 --out curves.png
"""
import argparse

from mmpose_pipnet.evaluation import plot_training_curves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('path', help='a work dir, or a vis_data/scalars.json')
    parser.add_argument('--metric', default='NME', help='validation metric to plot')
    parser.add_argument('--out', required=True, help='PNG to write')
    args = parser.parse_args()
    plot_training_curves(args.path, args.out, args.metric)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
