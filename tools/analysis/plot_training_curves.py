"""Plot a run's training losses and validation NME to a PNG, or several runs' validation
curves on one axis (--compare).

Examples:
    python tools/analysis/plot_training_curves.py work_dirs/ytf68_mbv2 --out curves.png
    python tools/analysis/plot_training_curves.py --compare 192px=work_dirs/a \
        256px=work_dirs/b --out levers.png
"""
import argparse

from mmpose_pipnet.evaluation import plot_training_curves, plot_validation_curves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('path', nargs='?', help='a work dir, or a vis_data/scalars.json')
    parser.add_argument('--compare', nargs='+', metavar='LABEL=PATH',
                        help='validation curves of several runs (work dirs or scalars.json)')
    parser.add_argument('--metric', default='NME', help='validation metric to plot')
    parser.add_argument('--out', required=True, help='PNG to write')
    args = parser.parse_args()
    if (args.path is None) == (args.compare is None):
        parser.error('give either one run PATH or --compare LABEL=PATH ...')
    if args.compare:
        runs = dict(item.split('=', 1) for item in args.compare if '=' in item)
        if len(runs) != len(args.compare):
            parser.error('--compare takes LABEL=PATH items (distinct labels)')
        plot_validation_curves(runs, args.out, args.metric)
    else:
        plot_training_curves(args.path, args.out, args.metric)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
