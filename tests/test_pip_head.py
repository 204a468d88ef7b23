"""PIPHead: shapes for every stride, the loss on a hand-computed case and against literal
values of the pre-registry implementation, masks, flip test, gradients into the backbone."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmpose.models import build_pose_estimator
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample

from conftest import CONFIGS, REPO, build_head, samples_from
from mmpose_pipnet.datasets.pseudo_labels import tag_stc_task


@pytest.mark.parametrize('stride,grid,cls_weight', [(16, 16, 50), (32, 8, 10), (64, 4, 8),
                                                    (128, 2, 4)])
def test_every_stride_shapes_and_weights(stride, grid, cls_weight):
    head = build_head('WFLW', 98, stride=stride)
    head.init_weights()
    outputs = head.forward((torch.randn(2, 8, 8, 8), ))
    assert [tuple(o.shape) for o in outputs] == [(2, 98, grid, grid)] * 3 + \
        [(2, 980, grid, grid)] * 2
    assert head.loss_module.cls.loss_weight == cls_weight
    preds = head.predict((torch.randn(2, 8, 8, 8), ), samples_from([None] * 2, [None] * 2))
    assert preds[0].keypoints.shape == (1, 98, 2) and preds[0].keypoint_scores.shape == (1, 98)


def test_build_errors():
    with pytest.raises(ValueError, match='num_keypoints=98 but the decoder'):
        MODELS.build(dict(type='PIPHead', in_channels=8, num_keypoints=98,
                          decoder=dict(type='PIPLabel', input_size=(256, 256),
                                       meanface='300W')))
    with pytest.raises(ValueError, match='stride 48 must be backbone_stride'):
        build_head(stride=48, size=96)
    with pytest.raises(ValueError, match='no default score-map loss weight for stride 8.*'
                                         'set loss_cls.loss_weight'):
        build_head(stride=8, backbone_stride=16)
    head = build_head(stride=8, backbone_stride=16,
                      loss_cls=dict(type='MaskedKeypointMSELoss', loss_weight=3.0))
    assert head.loss_module.cls.loss_weight == 3.0
    with pytest.raises(ValueError, match='needs a meanface'):
        MODELS.build(dict(type='PIPHead', in_channels=8, num_keypoints=68,
                          decoder=dict(type='PIPLabel', input_size=(256, 256))))


def constant_head(tmp_path, biases):
    """A 3-point head (C=1, 2x2 grid) whose maps are constant = the conv biases."""
    meanface = tmp_path / 'tri.txt'
    meanface.write_text('0.1 0.1 0.9 0.1 0.5 0.9')
    codec = dict(type='PIPLabel', input_size=(64, 64), num_keypoints=3,
                 meanface=str(meanface), num_neighbors=1)
    head = MODELS.build(dict(type='PIPHead', in_channels=1, num_keypoints=3, decoder=codec))
    for name, bias in zip(['cls_layer', 'x_layer', 'y_layer', 'nb_x_layer', 'nb_y_layer'],
                          biases):
        layer = getattr(head, name)
        torch.nn.init.zeros_(layer.weight)
        layer.bias.data = torch.tensor(bias, dtype=torch.float32)
    return head


def test_loss_hand_computed(tmp_path):
    # neighbours in the mean face: 0 -> 1, 1 -> 0, 2 -> 0 (0 and 1 tie for 2; first wins)
    head = constant_head(tmp_path, [[0.5, 0.0, 1.0], [0.2, 0.2, 0.2], [0.3, 0.3, 0.3],
                                    [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(head.decoder.neighbors[:, 0], [1, 0, 0])
    # points in crop-normalised units on a 2x2 grid: cell = floor(2x)
    labels = np.array([[[0.25, 0.25], [0.75, 0.25], [0.5, 0.875]]])
    losses = head.loss((torch.zeros(1, 1, 2, 2), ), samples_from(labels, np.ones((1, 3))))
    # cls: per point mean over 4 cells of (logit - onehot)^2, logits constant per point
    cls = np.mean([((0.5 - 1) ** 2 + 3 * 0.25) / 4, (1 + 0) / 4, ((1 - 1) ** 2 + 3) / 4])
    # offsets in cells: 2x - cell -> (0.5, 0.5), (0.5, 0.5), (1.0 - 1, 1.75 - 1)
    off_x = np.mean([abs(0.2 - 0.5), abs(0.2 - 0.5), abs(0.2 - 0.0)])
    off_y = np.mean([abs(0.3 - 0.5), abs(0.3 - 0.5), abs(0.3 - 0.75)])
    # neighbour offsets from the own cell: 0 -> 1: (1.5 - 0, 0.5 - 0); 1 -> 0: (0.5 - 1,
    # 0.5 - 0); 2 -> 0: (0.5 - 1, 0.5 - 1); predictions are 0
    nb_x = np.mean([1.5, 0.5, 0.5])
    nb_y = np.mean([0.5, 0.5, 0.5])
    assert losses['loss_cls'].item() == pytest.approx(10 * cls, rel=1e-6)
    assert losses['loss_offset'].item() == pytest.approx(off_x + off_y, rel=1e-6)
    assert losses['loss_nb'].item() == pytest.approx(nb_x + nb_y, rel=1e-6)


def fixed_case(stride, size, tasks):
    """A head with seeded weights (numpy, so the values do not depend on torch's RNG), a
    (B, 8, size/32, size/32) feature map and labels in and out of the crop, about 20% of
    the points masked and the last sample fully masked; ``tasks`` tags each sample with an
    STC task."""
    rng = np.random.default_rng(stride * 1000 + size)
    head = build_head('300W', 68, stride=stride, size=size)
    for param in head.parameters():
        param.data = torch.from_numpy(rng.normal(0, 0.1, tuple(param.shape)).astype(np.float32))
    batch = len(tasks)
    feats = torch.from_numpy(rng.normal(0, 1, (batch, 8, size // 32, size // 32)).astype(
        np.float32))
    labels = rng.uniform(-0.1, 1.1, (batch, 68, 2)).astype(np.float32)
    weights = (rng.uniform(0, 1, (batch, 68)) > 0.2).astype(np.float32)
    weights[-1] = 0
    samples = [tag_stc_task(sample, task)
               for sample, task in zip(samples_from(labels, weights), tasks)]
    return head, feats, samples


#: The loss of the hand-written implementation before the losses came from the registry
#: (computed by it on :func:`fixed_case`): the default loss configs must reproduce it.
LITERAL_LOSSES = [
    (32, 256, ['std'] * 4, dict(loss_cls=0.9824281930923462, loss_offset=1.2201106548309326,
                                loss_nb=6.2157883644104)),
    (16, 256, ['std'] * 3, dict(loss_cls=0.7299258708953857, loss_offset=1.3301351070404053,
                                loss_nb=12.350790023803711)),
    (64, 256, ['std'] * 3, dict(loss_cls=0.6200772523880005, loss_offset=1.1497437953948975,
                                loss_nb=3.1151533126831055)),
    (32, 192, ['std', 'cls2', 'cls3', 'std', 'cls2'],
     dict(loss_cls=1.3005374670028687, loss_cls2=2.7322463989257812,
          loss_cls3=4.546285152435303, loss_offset=1.222019910812378,
          loss_nb=4.460017204284668)),
]


@pytest.mark.parametrize('stride,size,tasks,expected', LITERAL_LOSSES)
def test_default_losses_match_the_literal_values(stride, size, tasks, expected):
    head, feats, samples = fixed_case(stride, size, tasks)
    losses = head.loss((feats, ), samples)
    assert set(losses) == set(expected)
    for key, value in expected.items():
        assert losses[key].item() == pytest.approx(value, rel=1e-6, abs=0), key


def test_masked_points_do_not_count(tmp_path):
    head = build_head()
    feats = (torch.randn(2, 8, 8, 8), )
    rng = np.random.default_rng(0)
    labels = rng.uniform(0, 1, (2, 68, 2))
    weights = np.ones((2, 68))
    weights[0, 10] = weights[1, 3] = 0
    base = head.loss(feats, samples_from(labels, weights))
    moved = labels.copy()
    moved[0, 10] = [0.9, 0.9]
    moved[1, 3] = [-0.5, 2.0]
    again = head.loss(feats, samples_from(moved, weights))
    for key in base:
        assert again[key].item() == pytest.approx(base[key].item(), rel=1e-6), key
    unmasked = head.loss(feats, samples_from(moved, np.ones((2, 68))))
    assert unmasked['loss_offset'].item() != pytest.approx(base['loss_offset'].item())
    # every point masked: zero loss, no NaN
    empty = head.loss(feats, samples_from(labels, np.zeros((2, 68))))
    assert all(v.item() == 0 for v in empty.values())


def test_loss_rejects_wrong_k():
    head = build_head()
    with pytest.raises(ValueError, match='K=98 keypoints, the head num_keypoints=68'):
        head.loss((torch.randn(1, 8, 8, 8), ),
                  samples_from(np.zeros((1, 98, 2)), np.ones((1, 98))))


@pytest.fixture(scope='module')
def res18_model():
    cfg = Config.fromfile(f'{CONFIGS}/wflw_res18.py')
    cfg.model.backbone.init_cfg = None
    model = build_pose_estimator(cfg.model)
    model.init_weights()
    return model


@pytest.mark.parametrize('label_origin', [0, 1])
def test_flip_test_is_flip_equivariant(res18_model, label_origin):
    """Flip test on a mirrored input gives the mirrored prediction; for 1-based labels
    (label_origin 1) the mirror is about the labels' own convention: a 128 px box in a
    256 px crop is 2 crop pixels per image pixel, so ``x -> 255 - x + 2 * 1 * 2``."""
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    meta = parse_pose_metainfo(dict(from_file="configs/_base_/datasets/wflw.py"))
    flip_indices = meta['flip_indices']
    model = res18_model.eval()
    torch.manual_seed(0)
    # make the head's maps informative (random init gives near-constant maps)
    for layer in (model.head.cls_layer, model.head.x_layer, model.head.y_layer):
        torch.nn.init.normal_(layer.weight, std=0.05)
    image = torch.randn(1, 3, 256, 256)
    samples = samples_from([None], [None], flip_indices)
    samples[0].set_metainfo(dict(input_scale=np.array([128., 128.])))
    with torch.no_grad():
        def predict(x):
            feats = [model.extract_feat(x), model.extract_feat(x.flip(-1))]
            pred = model.head.predict(feats, samples, dict(flip_test=True,
                                                           label_origin=label_origin))[0]
            return pred.keypoints[0], pred.keypoint_scores[0]
        kpts, scores = predict(image)
        kpts_f, scores_f = predict(image.flip(-1))
    mirrored = kpts_f[flip_indices].copy()
    mirrored[:, 0] = 256 - 1 - mirrored[:, 0] + 2 * label_origin * 256 / 128
    np.testing.assert_allclose(mirrored, kpts, atol=1e-3)
    np.testing.assert_allclose(scores_f[flip_indices], scores, atol=1e-5)
    if label_origin:
        del samples[0].input_scale
        with pytest.raises(ValueError, match='label_origin needs each sample.s input_scale'):
            predict(image)


def test_gradients_reach_the_backbone(res18_model):
    model = res18_model.train()
    model.zero_grad()
    rng = np.random.default_rng(0)
    samples = samples_from(rng.uniform(0, 1, (2, 98, 2)), np.ones((2, 98)))
    losses = model.loss(torch.randn(2, 3, 256, 256), samples)
    sum(losses.values()).backward()
    grad = model.backbone.conv1.weight.grad
    assert grad is not None and grad.abs().sum() > 0
    assert model.head.nb_x_layer.weight.grad.abs().sum() > 0


def test_config_mismatches_fail_with_one_line_errors():
    head = build_head()
    sample = PoseDataSample()
    sample.set_metainfo(dict(input_size=(192, 192)))
    with pytest.raises(ValueError, match=r'crops \(192, 192\) but the decoder input_size '
                                         r'is \(256, 256\)'):
        head.predict((torch.randn(1, 8, 8, 8), ), [sample])
    with pytest.raises(ValueError, match='backbone gives 16 channels, in_channels=8'):
        head.predict((torch.randn(1, 16, 8, 8), ), [PoseDataSample()])


def test_checkpoint_for_another_landmark_set_is_refused(tmp_path):
    """A 68-point checkpoint into a 98-point model: an error, not a random head."""
    from mmpose.apis import init_model
    with pytest.raises(ValueError, match=r'head.cls_layer.weight is \(68, 1280\).*K=98'):
        init_model(f'{CONFIGS}/wflw_mbv2.py', f'{REPO}/checkpoints/pipnet_mbv2_ytf68.pth',
                   device='cpu')
    model = init_model(f'{CONFIGS}/ytf68_mbv2.py', None, device='cpu')
    state = {k: v for k, v in model.state_dict().items() if not k.startswith('head.nb_')}
    torch.save(dict(state_dict=state), tmp_path / 'partial.pth')
    init_model(f'{CONFIGS}/ytf68_mbv2.py', str(tmp_path / 'partial.pth'), device='cpu')
