"""PIPHead's losses come from the registry: our masked-mean losses against MMPose's, other
MMPose losses configured in, and a zoo model trained one step with another score-map loss."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner
from mmpose.registry import MODELS

from conftest import CONFIGS, FACE_SAMPLES, build_head, samples_from


def random_maps(seed=0, shape=(3, 5, 4, 4)):
    generator = torch.Generator().manual_seed(seed)
    output = torch.randn(shape, generator=generator)
    target = torch.zeros(shape).flatten(2)
    target[..., 3] = 1
    return output, target.reshape(shape)


def test_masked_mse_is_mmpose_keypoint_mse_over_the_valid_maps():
    output, target = random_maps()
    ours = MODELS.build(dict(type='MaskedKeypointMSELoss', loss_weight=2.0))
    mmpose = MODELS.build(dict(type='KeypointMSELoss', use_target_weight=True,
                               loss_weight=2.0))
    every = torch.ones(3, 5)
    assert ours(output, target, every).item() == pytest.approx(
        mmpose(output, target, every).item(), rel=1e-6)
    # masked points: MMPose's divides by all 15 maps, ours by the 7 valid ones
    weights = every.clone()
    weights[0] = weights[1, :3] = 0
    assert ours(output, target, weights).item() == pytest.approx(
        mmpose(output, target, weights).item() * 15 / 7, rel=1e-6)
    per_map = ((output - target) ** 2).flatten(2).mean(-1)
    assert ours(output, target, weights).item() == pytest.approx(
        2.0 * per_map[weights > 0].mean().item(), rel=1e-6)
    assert ours(output, target, torch.zeros(3, 5)).item() == 0


@pytest.mark.parametrize('shape', [(2, 6, 2), (2, 6, 3, 2)])
def test_masked_l1_sums_the_coordinates_means_over_the_valid_vectors(shape):
    generator = torch.Generator().manual_seed(1)
    output, target = torch.randn(shape, generator=generator), torch.randn(shape,
                                                                           generator=generator)
    ours = MODELS.build(dict(type='MaskedL1Loss'))
    mmpose = MODELS.build(dict(type='L1Loss', use_target_weight=True))
    every = torch.ones(shape[:-1])
    # MMPose's L1Loss averages over the coordinates too: ours is D = 2 times it
    assert ours(output, target, every).item() == pytest.approx(
        2 * mmpose(output, target, every).item(), rel=1e-6)
    weights = (torch.arange(every.numel()).reshape(every.shape) % 3 > 0).float()
    errors = (output - target).abs()[weights > 0]  # (valid, D)
    assert ours(output, target, weights).item() == pytest.approx(
        errors.mean(0).sum().item(), rel=1e-6)
    assert ours(output, target, torch.zeros_like(every)).item() == 0


def test_other_mmpose_losses_plug_into_the_head():
    """MMPose's losses take the head's tensors as they are: a score-map loss from
    heatmap_loss.py, regression losses for the offsets; the stride's weight is filled
    into a score-map loss config that leaves ``loss_weight`` out."""
    head = build_head(stride=64, loss_cls=dict(type='KeypointOHKMMSELoss', topk=4),
                      loss_offset=dict(type='SmoothL1Loss', use_target_weight=True),
                      loss_nb=dict(type='L1Loss', use_target_weight=True, loss_weight=0.5))
    assert type(head.loss_module.cls).__name__ == 'KeypointOHKMMSELoss'
    assert head.loss_module.cls.loss_weight == 8
    assert head.loss_module.nb.loss_weight == 0.5
    default = build_head(stride=64)
    default.load_state_dict(head.state_dict())
    assert set(head.state_dict()) == set(default.state_dict())  # losses add no keys
    rng = np.random.default_rng(3)
    samples = samples_from(rng.uniform(0, 1, (2, 68, 2)), np.ones((2, 68)))
    feats = (torch.randn(2, 8, 8, 8), )
    losses, plain = head.loss(feats, samples), default.loss(feats, samples)
    assert set(losses) == set(plain) == {'loss_cls', 'loss_offset', 'loss_nb'}
    for key in losses:
        assert torch.isfinite(losses[key])
        assert losses[key].item() != pytest.approx(plain[key].item(), rel=1e-3), key


def test_a_loss_without_loss_weight_is_built_as_configured():
    """No ``loss_weight`` argument: nothing is filled in (and no error at any stride)."""
    from torch import nn

    @MODELS.register_module(force=True)
    class _UnweightedMSE(nn.Module):
        def forward(self, output, target, target_weights):
            return ((output - target) ** 2).mean()

    head = build_head(stride=8, backbone_stride=16, loss_cls=dict(type='_UnweightedMSE'))
    assert not hasattr(head.loss_module.cls, 'loss_weight')


@pytest.mark.shared_data
def test_zoo_config_trains_one_step_with_another_score_map_loss():
    """wflw_mbv2.py with ``loss_cls`` switched by config to MMPose's AdaptiveWingLoss:
    one real augmented WFLW batch, forward + backward + Adam step. The score-map term
    differs from the default's on the same weights and batch and is finite, the other
    terms are the default's, and the weights move."""
    cfg = Config.fromfile(f'{CONFIGS}/wflw_mbv2.py')
    cfg.model.backbone.init_cfg = None  # offline: no ImageNet weights needed
    loader_cfg = cfg.train_dataloader
    loader_cfg.update(batch_size=2, num_workers=0, persistent_workers=False)
    loader_cfg.dataset.update(data_root=f'{FACE_SAMPLES}/wflw', ann_file='test_wflw.json',
                              data_prefix=dict(img=''))
    batch = next(iter(Runner.build_dataloader(loader_cfg, seed=0)))

    torch.manual_seed(0)
    default = MODELS.build(cfg.model)
    default.init_weights()
    cfg.model.head.loss_cls = dict(type='AdaptiveWingLoss', use_target_weight=True)
    switched = MODELS.build(cfg.model)
    switched.load_state_dict(default.state_dict())
    assert type(switched.head.loss_module.cls).__name__ == 'AdaptiveWingLoss'
    assert switched.head.loss_module.cls.loss_weight == 10  # the stride-32 weight

    default.train()
    with torch.no_grad():
        plain = default(**default.data_preprocessor(batch, True), mode='loss')
    switched.train()
    before = {k: v.clone() for k, v in switched.state_dict().items()}
    optim_wrapper = build_optim_wrapper(switched, dict(optimizer=dict(type='Adam', lr=1e-3)))
    log_vars = {k: v.item() for k, v in switched.train_step(batch, optim_wrapper).items()}

    assert np.isfinite(log_vars['loss_cls'])
    assert log_vars['loss_cls'] != pytest.approx(plain['loss_cls'].item(), rel=1e-3)
    for key in ('loss_offset', 'loss_nb'):
        assert log_vars[key] == pytest.approx(plain[key].item(), rel=1e-4), key
    after = switched.state_dict()
    for key in ('head.cls_layer.weight', 'head.x_layer.weight', 'backbone.conv1.conv.weight'):
        assert not torch.equal(after[key], before[key]), key
