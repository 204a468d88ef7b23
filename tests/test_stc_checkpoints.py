"""The shipped weights of the ytf68 semi-supervised experiment (docs/stc.md): each
``checkpoints/stc/NAME.pth`` scored with ``configs/pipnet/stc/NAME.py`` by tools/test.py on
the held-out people gives the table's figures."""
import os.path as osp
import subprocess
import sys

import pytest

from conftest import REPO, YTF68
from test_default_model import assert_test_tool_prints_figures

# docs/stc.md: faces, NME %, FR@0.1 %, AUC@0.1 on the 70 held-out people
TABLE = {
    'ytf68_mbv2_supervised': (750, 4.7982, 1.8667, 0.52704),
    # the STC arm's best round (round 3, std), fp16
    'ytf68_mbv2_stc': (750, 5.2784, 3.2000, 0.48408),
}


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize('name', sorted(TABLE))
def test_stc_arm_scores_its_table_row(name, tmp_path):
    config = osp.join(REPO, 'configs', 'pipnet', 'stc', f'{name}.py')
    checkpoint = osp.join(REPO, 'checkpoints', 'stc', f'{name}.pth')
    run = subprocess.run(
        [sys.executable, 'tools/dataset_converters/split_by_person.py', f'{YTF68}/train.csv',
         f'{YTF68}/val.csv', '--out-train', str(tmp_path / 'train.csv'), '--out-held-out',
         str(tmp_path / 'held_out.csv')], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    assert_test_tool_prints_figures(tmp_path, config, checkpoint, tmp_path / 'held_out.csv',
                                    TABLE[name])


def test_every_shipped_stc_checkpoint_has_its_config_and_row():
    import glob
    shipped = {osp.splitext(osp.basename(p))[0]
               for p in glob.glob(osp.join(REPO, 'checkpoints', 'stc', '*.pth'))}
    assert shipped == set(TABLE)
    for name in shipped:
        assert osp.isfile(osp.join(REPO, 'configs', 'pipnet', 'stc', f'{name}.py')), name
        assert osp.getsize(osp.join(REPO, 'checkpoints', 'stc', f'{name}.pth')) < 10e6
