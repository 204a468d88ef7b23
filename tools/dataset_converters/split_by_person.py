"""Split landmark csv files by person into a training part and a held-out part.

The person is the image file name minus its trailing ``_NN``; whole people go to one side
(mmpose_pipnet/datasets/person_split.py). Example (what tools/prepare_ytf68.sh runs):
    python tools/dataset_converters/split_by_person.py data/ytf68/train.csv \
        data/ytf68/val.csv --out-train data/ytf68_person/train.csv \
        --out-held-out data/ytf68_person/held_out.csv
With ``--pool DIR --out-pool DIR`` it also links the unlabelled images of every person not
held out into ``--out-pool`` (a self-training pool without the evaluation's people).
"""
import argparse

from mmpose_pipnet.datasets.person_split import (link_pool_without_people,
                                                 split_csv_by_person)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('csv', nargs='+', help='csv files with a header image,x0,y0,...')
    parser.add_argument('--out-train', required=True, help='csv for the training part')
    parser.add_argument('--out-held-out', required=True, help='csv for the held-out people')
    parser.add_argument('--held-out-fraction', type=float, default=0.2,
                        help='share of people held out (default 0.2)')
    parser.add_argument('--seed', type=int, default=0, help='changes who is held out')
    parser.add_argument('--pool', help='a folder of unlabelled images to filter')
    parser.add_argument('--out-pool', help='folder for links to the --pool images of people '
                        'not held out')
    args = parser.parse_args()
    if (args.pool is None) != (args.out_pool is None):
        raise SystemExit('split_by_person: --pool and --out-pool go together')
    counts = split_csv_by_person(args.csv, args.out_train, args.out_held_out,
                                 args.held_out_fraction, args.seed)
    print(f"{args.out_train}: {counts['train_faces']} faces of {counts['train_people']} "
          f"people; {args.out_held_out}: {counts['held_out_faces']} faces of "
          f"{counts['held_out_people']} people")
    if args.pool is not None:
        linked = link_pool_without_people(args.pool, args.out_held_out, args.out_pool)
        print(f"{args.out_pool}: {linked['linked']} images linked, {linked['excluded']} of "
              f"held-out people left out")


if __name__ == '__main__':
    main()
