"""ChannelsLastTopdownEstimator: NHWC weights and inputs, the same landmarks and losses as
MMPose's default layout, and ONNX export of a channels_last model."""
import numpy as np
import pytest
import torch
from mmpose.apis import inference_topdown, init_model

from conftest import CONFIGS, load_tool
from mmpose_pipnet.apis import DEFAULT_CHECKPOINT, DEFAULT_CONFIG

synthetic_train_batch = load_tool('analysis/benchmark.py').synthetic_train_batch

CONFIG, CHECKPOINT = DEFAULT_CONFIG, DEFAULT_CHECKPOINT


def first_conv_weight(model):
    return next(p for p in model.backbone.parameters() if p.dim() == 4)


def both_layouts(config, checkpoint=None):
    channels_last = init_model(config, checkpoint, device='cpu')
    default = init_model(config, checkpoint, device='cpu',
                         cfg_options=dict(model=dict(channels_last=False)))
    return channels_last, default


def test_weights_and_features_are_channels_last_and_landmarks_equal():
    import matplotlib.cbook
    channels_last, default = both_layouts(CONFIG, CHECKPOINT)
    conv = first_conv_weight(channels_last)
    assert conv.is_contiguous(memory_format=torch.channels_last)
    assert not conv.is_contiguous()  # really NHWC, not a 1x1 tensor that is both
    assert first_conv_weight(default).is_contiguous()
    inputs = torch.randn(2, 3, 192, 192)
    (feats, ) = channels_last.extract_feat(inputs)
    assert feats.is_contiguous(memory_format=torch.channels_last)
    maps = channels_last.head.forward((feats, ))
    assert all(m.is_contiguous() for m in maps)  # losses and decoding see plain tensors
    image = matplotlib.cbook.get_sample_data('grace_hopper.jpg', asfileobj=False)
    box = np.array([[150, 110, 380, 370]], np.float32)  # her face, image pixels
    (a, ), (b, ) = (inference_topdown(m, str(image), box) for m in (channels_last, default))
    np.testing.assert_allclose(a.pred_instances.keypoints, b.pred_instances.keypoints,
                               atol=1e-3)  # image pixels
    eyes = a.pred_instances.keypoints[0, [36, 45]]
    assert (eyes[1, 0] - eyes[0, 0]) > 50  # a real face, not a degenerate output


@pytest.mark.parametrize('config', ['ytf68_mbv2.py', 'wflw_res18.py'])
def test_training_loss_equals_the_default_layout(config):
    channels_last, default = both_layouts(f'{CONFIGS}/{config}')
    default.load_state_dict(channels_last.state_dict())
    torch.manual_seed(0)
    data = synthetic_train_batch(channels_last.train(), batch=2)
    default.train()
    losses = [m.loss(**m.data_preprocessor(data, training=True)) for m in (channels_last,
                                                                         default)]
    for key in losses[1]:
        assert losses[0][key].item() == pytest.approx(losses[1][key].item(), rel=1e-4), key
    sum(losses[0].values()).backward()  # gradients flow through the NHWC network
    assert first_conv_weight(channels_last).grad is not None


def test_onnx_export_of_a_channels_last_model_matches_pytorch(tmp_path):
    ort = pytest.importorskip('onnxruntime')
    from mmpose_pipnet.deploy import export_onnx
    onnx_file = export_onnx(CONFIG, CHECKPOINT, str(tmp_path / 'm.onnx'))
    channels_last, _ = both_layouts(CONFIG, CHECKPOINT)
    crops = np.random.default_rng(0).uniform(0, 255, (2, 3, 192, 192)).astype(np.float32)
    keypoints, _ = ort.InferenceSession(onnx_file).run(None, {'images': crops})
    with torch.no_grad():
        preprocessor = channels_last.data_preprocessor  # BGR -> RGB, mean/std
        inputs = (torch.from_numpy(crops).flip(1) - preprocessor.mean) / preprocessor.std
        maps = channels_last.head.forward(channels_last.extract_feat(inputs))
        coords, _ = channels_last.head.decoder.decode_tensors(*maps)
    np.testing.assert_allclose(keypoints, coords.numpy() * 192, atol=1e-2)  # crop pixels
