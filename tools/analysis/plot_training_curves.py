"""Plot a run's training losses and validation NME to a PNG, or several runs' validation
curves on one axis (--compare).

Examples:
    python tools/analysis/plot_training_curves.py work_dirs/ytf68_mbv2 --out curves.png
    python tools/analysis/plot_training_curves.py --compare 192px=work_dirs/a \
        256px=work_dirs/b --out levers.png
"""
import argparse
import glob
import json
import os.path as osp
from typing import Dict, List, Tuple


def read_scalars(path: str) -> Tuple[List[Dict], List[Dict]]:
    """Train and val records of an MMEngine ``vis_data/scalars.json``, or of a whole work
    dir: every run's file in time order (a ``--resume`` starts a new timestamped run), a
    later run's record replacing an earlier one of the same iteration (train) or epoch
    (val): a resumed run repeats what the killed one logged after its last checkpoint."""
    if osp.isdir(path):
        files = sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
        if not files:
            raise FileNotFoundError(f'no */vis_data/scalars.json under {path}')
    else:
        files = [path]
    train: Dict[int, Dict] = {}
    val: Dict[int, Dict] = {}
    for file in files:
        with open(file) as f:
            for line in f:
                record = json.loads(line)
                if 'loss' in record:
                    train[record['iter']] = record
                else:
                    val[record['step']] = record
    return [train[i] for i in sorted(train)], [val[s] for s in sorted(val)]


def plot_training_curves(path: str, out_file: str, metric: str = 'NME') -> None:
    """Two panels: the training losses by iteration (log scale) and the validation
    ``metric`` by epoch, with the best epoch marked (lowest, or highest for AUC/AP/PCK)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    train, val = read_scalars(path)
    fig, (ax_loss, ax_val) = plt.subplots(1, 2, figsize=(10, 4))
    for key in ('loss', 'loss_cls', 'loss_offset', 'loss_nb'):
        points = [(r['iter'], r[key]) for r in train if key in r]
        if points:
            ax_loss.plot(*zip(*points), label=key, lw=1)
    ax_loss.set_yscale('log')
    ax_loss.set_xlabel('iteration')
    ax_loss.set_title('training losses')
    ax_loss.legend(fontsize=8)
    ax_loss.grid(alpha=0.3)
    points = [(r['step'], r[metric]) for r in val if metric in r]
    if points:
        epochs, values = zip(*points)
        scale = 100 if metric == 'NME' else 1
        ax_val.plot(epochs, [v * scale for v in values], marker='.')
        pick = max if metric.upper().startswith(('AUC', 'AP', 'PCK')) else min
        best = pick(range(len(values)), key=values.__getitem__)
        ax_val.annotate(f'best {values[best] * scale:.2f} (epoch {epochs[best]})',
                        (epochs[best], values[best] * scale), textcoords='offset points',
                        xytext=(-60, 20), arrowprops=dict(arrowstyle='->'))
    ax_val.set_xlabel('epoch')
    ax_val.set_title(f'validation {metric}' + (' (%)' if metric == 'NME' else ''))
    ax_val.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out_file, dpi=110)
    plt.close(fig)


def plot_validation_curves(runs: Dict[str, str], out_file: str, metric: str = 'NME') -> None:
    """The validation ``metric`` by epoch of several runs on one axis (e.g. the levers of
    a recipe trained side by side), one line per ``label -> work dir or scalars.json``.
    A run without any ``metric`` record is an error naming it."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    scale = 100 if metric == 'NME' else 1
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, path in runs.items():
        points = [(r['step'], r[metric] * scale) for r in read_scalars(path)[1] if metric in r]
        if not points:
            raise ValueError(f'{path}: no validation {metric} records (run {label!r})')
        ax.plot(*zip(*points), marker='.', label=f'{label} (last {points[-1][1]:.2f})')
    ax.set_xlabel('epoch')
    ax.set_ylabel(f'validation {metric}' + (' (%)' if metric == 'NME' else ''))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_file, dpi=110)
    plt.close(fig)


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
