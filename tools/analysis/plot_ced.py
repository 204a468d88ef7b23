"""Plot the cumulative error curves of one or more result files to a PNG.

Result files are the per-face NMEs that tools/test.py writes with --nme-out PREFIX
(PREFIX.nme.json). Example:
    python tools/analysis/plot_ced.py a.nme.json b.nme.json --labels A B --out ced.png
"""
import argparse

from mmpose_pipnet.evaluation import plot_ced


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('results', nargs='+', help='*.nme.json files')
    parser.add_argument('--labels', nargs='+', help='one legend label per file')
    parser.add_argument('--threshold', type=float, default=0.1,
                        help='NME range of the plot and FR/AUC threshold (fraction)')
    parser.add_argument('--out', required=True, help='PNG to write')
    args = parser.parse_args()
    plot_ced(args.results, args.out, args.labels, args.threshold)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
