"""NMEFailureAUC: MMPose's NME plus FR/AUC by the reference formula; the CED plot and the
training curves (tools/analysis)."""
import json

import numpy as np
import pytest

from conftest import load_tool
from mmpose_pipnet.evaluation import NMEFailureAUC, failure_rate_and_auc, landmark_biases

plot_ced = load_tool('analysis/plot_ced.py').plot_ced


def reference_fr_auc(nmes, thres=0.1, step=0.0001):
    """The reference's compute_fr_and_auc, literally (Simpson's rule)."""
    from scipy.integrate import simpson
    xs = np.arange(0, thres + step, step)
    ys = np.array([np.count_nonzero(nmes <= x) for x in xs]) / float(len(nmes))
    return 1.0 - ys[-1], simpson(ys, x=xs) / thres


def test_fr_auc_match_reference_formula():
    nmes = np.random.default_rng(0).gamma(2.0, 0.025, 500)
    fr, auc = failure_rate_and_auc(nmes)
    ref_fr, ref_auc = reference_fr_auc(nmes)
    assert fr == pytest.approx(ref_fr) and auc == pytest.approx(ref_auc, abs=1e-9)
    assert failure_rate_and_auc(np.zeros(3)) == (0.0, pytest.approx(1.0, abs=1e-3))


def run_metric(metric, preds, gts):
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    metric.dataset_meta = parse_pose_metainfo(dict(from_file='configs/_base_/datasets/300w.py'))
    samples = [dict(pred_instances=dict(keypoints=p[None]),
                    gt_instances=dict(keypoints=g[None], keypoints_visible=np.ones((1, 68))))
               for p, g in zip(preds, gts)]
    metric.process([], samples)
    return metric.compute_metrics(metric.results)


def test_metric_values_and_nme_file(tmp_path):
    rng = np.random.default_rng(1)
    gts = rng.uniform(0, 100, (5, 68, 2))
    gts[:, 36], gts[:, 45] = [20, 40], [80, 40]  # inter-ocular distance 60
    errors = np.array([0.613, 1.237, 3.071, 9.1, 0.0])  # px shift of every point, per face
    preds = gts + np.stack([errors, np.zeros(5)], -1)[:, None]
    metric = NMEFailureAUC(norm_mode='keypoint_distance', outfile_prefix=str(tmp_path / 'r'))
    out = run_metric(metric, preds, gts)
    per_face = errors / 60
    assert out['NME'] == pytest.approx(per_face.mean())
    assert out['FR@0.1'] == pytest.approx(0.2)  # 9.1 px / 60 > 0.1
    assert out['AUC@0.1'] == pytest.approx(reference_fr_auc(per_face)[1])
    # every point of face i is errors[i] px right of its label: signed mean / 60 px
    assert out['bias_x'] == pytest.approx(errors.mean() / 60) and out['bias_y'] == 0
    # a shift of every point is a systematic error no mirror-symmetric model makes
    assert out['landmark_bias'] == pytest.approx(errors.mean() / 60)
    assert out['mirror_bias'] == pytest.approx(errors.mean() / 60)
    saved = json.loads((tmp_path / 'r.nme.json').read_text())
    np.testing.assert_allclose(saved['nme'], per_face, atol=1e-6)
    plot_ced([str(tmp_path / 'r.nme.json')] * 2, str(tmp_path / 'ced.png'), ['a', 'b'])
    assert (tmp_path / 'ced.png').stat().st_size > 1000
    with pytest.raises(ValueError, match='2 labels for 1 result files'):
        plot_ced([str(tmp_path / 'r.nme.json')], str(tmp_path / 'x.png'), ['a', 'b'])


def test_landmark_biases_split_what_a_mirror_symmetric_model_can_and_cannot_produce():
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    flip = parse_pose_metainfo(dict(from_file='configs/_base_/datasets/300w.py'))[
        'flip_indices']
    mask = np.ones((3, 68), bool)
    # mirror-symmetric: x outwards by the landmark's side, y the same on both partners
    side = np.sign(np.arange(68) - np.asarray(flip))  # -1 / +1 on mirror pairs, 0 midline
    symmetric = np.zeros((3, 68, 2))
    symmetric[..., 0] = 0.02 * side
    symmetric[..., 1] = 0.01
    out = landmark_biases(symmetric, mask, flip)
    assert out['mirror_bias'] == pytest.approx(0, abs=1e-12)
    paired = (side != 0).mean()
    assert out['landmark_bias'] == pytest.approx(np.sqrt(0.02 ** 2 * paired + 0.01 ** 2))
    # a global x shift (1-based labels flipped as 0-based) and a tilt of the brows
    # (left up, right down) are what such a model cannot produce
    shifted = symmetric.copy()
    shifted[..., 0] += 0.005
    shifted[:, 17:22, 1] += 0.01
    shifted[:, 22:27, 1] -= 0.01
    out = landmark_biases(shifted, mask, flip)
    assert out['mirror_bias'] == pytest.approx(np.sqrt(0.005 ** 2 + 0.01 ** 2 * 10 / 68))
    # invisible points do not count, whatever their (NaN) coordinates
    shifted[0, :, :] = np.nan
    mask[0] = False
    assert landmark_biases(shifted, mask, flip) == pytest.approx(out)
    assert set(landmark_biases(shifted, mask)) == {'landmark_bias'}
    with pytest.raises(ValueError, match='flip_indices has 5 entries for 68 landmarks'):
        landmark_biases(shifted, mask, [0, 1, 2, 3, 4])


def test_training_curves_from_mmengine_scalars(tmp_path):
    curves = load_tool('analysis/plot_training_curves.py')
    plot_training_curves, plot_validation_curves, read_scalars = (
        curves.plot_training_curves, curves.plot_validation_curves, curves.read_scalars)
    run = tmp_path / '20260101_000000' / 'vis_data'
    run.mkdir(parents=True)
    lines = [dict(lr=1e-4, loss=1.0 / i, loss_cls=0.1 / i, epoch=1, iter=i * 10, step=i * 10)
             for i in range(1, 6)] + [dict(NME=0.05, step=1), dict(NME=0.04, step=2)]
    (run / 'scalars.json').write_text('\n'.join(json.dumps(x) for x in lines))
    train, val = read_scalars(str(tmp_path))
    assert len(train) == 5 and [v['NME'] for v in val] == [0.05, 0.04]
    plot_training_curves(str(tmp_path), str(tmp_path / 'c.png'))
    assert (tmp_path / 'c.png').stat().st_size > 1000
    with pytest.raises(FileNotFoundError, match='no \\*/vis_data/scalars.json'):
        read_scalars(str(tmp_path / '20260101_000000'))
    # a resumed run (from epoch 1's checkpoint) repeats iterations 30-50 and epoch 2
    resumed = tmp_path / '20260101_010000' / 'vis_data'
    resumed.mkdir(parents=True)
    lines = [dict(loss=0.5 / i, epoch=2, iter=i * 10, step=i * 10) for i in range(3, 9)] + \
        [dict(NME=0.035, step=2), dict(NME=0.03, step=3)]
    (resumed / 'scalars.json').write_text('\n'.join(json.dumps(x) for x in lines))
    train, val = read_scalars(str(tmp_path))
    assert [r['iter'] for r in train] == [10, 20, 30, 40, 50, 60, 70, 80]
    assert [r['loss'] for r in train[:3]] == [1.0, 0.5, 0.5 / 3]
    assert [(v['step'], v['NME']) for v in val] == [(1, 0.05), (2, 0.035), (3, 0.03)]
    # several runs on one axis; a run that never validated is named
    plot_validation_curves({'a': str(tmp_path), 'b': str(run / 'scalars.json')},
                           str(tmp_path / 'v.png'))
    assert (tmp_path / 'v.png').stat().st_size > 1000
    no_val = tmp_path / 'no_val.json'
    no_val.write_text(json.dumps(dict(loss=1.0, iter=1, step=1)))
    with pytest.raises(ValueError, match="no_val.json: no validation NME records \\(run 'c'\\)"):
        plot_validation_curves({'c': str(no_val)}, str(tmp_path / 'w.png'))
