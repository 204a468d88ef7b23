"""Reference PIPNet checkpoints -> our configs (tools/convert_official_ckpt.py).

The reference networks (the PIPNet authors' code) are rebuilt here from their description
(torchvision trunk, the stride layers, five 1x1 convs) with random weights and BN
statistics, and decoded by a literal per-landmark transcription of the authors' decoding.
A converted checkpoint must give the same merged landmarks through our model.
"""
import runpy
import sys
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import mmpose_pipnet  # noqa: F401  (registration)
import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision
from mmengine.config import Config
from mmpose.apis import init_model
from mmpose.structures import PoseDataSample
from torch import Tensor, nn

from conftest import load_tool

_convert = load_tool('convert_official_ckpt.py')
convert_official_checkpoint = _convert.convert_official_checkpoint
convert_official_state_dict = _convert.convert_official_state_dict

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / 'configs' / 'pipnet'
WFLW_MEANFACE = ROOT / 'mmpose_pipnet' / 'meanfaces' / 'WFLW.txt'
NUM_NB = 10
INPUT_SIZE = 256


class RefPipResNet18(nn.Module):
    """The reference ``Pip_resnet18`` layout: torchvision trunk, stride layers, 5 convs."""

    def __init__(self, num_lms: int, net_stride: int = 32) -> None:
        super().__init__()
        resnet = torchvision.models.resnet18(weights=None)
        self.conv1, self.bn1, self.relu, self.maxpool = (resnet.conv1, resnet.bn1,
                                                         resnet.relu, resnet.maxpool)
        self.layer1, self.layer2 = resnet.layer1, resnet.layer2
        self.layer3, self.layer4 = resnet.layer3, resnet.layer4
        self.net_stride = net_stride
        if net_stride == 16:
            self.deconv1 = nn.ConvTranspose2d(512, 512, 4, stride=2, padding=1, bias=False)
            self.bn_deconv1 = nn.BatchNorm2d(512)
        if net_stride in (64, 128):
            self.layer5 = nn.Conv2d(512, 512, 3, stride=2, padding=1)
            self.bn5 = nn.BatchNorm2d(512)
        if net_stride == 128:
            self.layer6 = nn.Conv2d(512, 512, 3, stride=2, padding=1)
            self.bn6 = nn.BatchNorm2d(512)
        _add_head(self, 512, num_lms)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        if self.net_stride == 16:
            x = F.relu(self.bn_deconv1(self.deconv1(x)))
        if self.net_stride in (64, 128):
            x = F.relu(self.bn5(self.layer5(x)))
        if self.net_stride == 128:
            x = F.relu(self.bn6(self.layer6(x)))
        return _run_head(self, x)


class RefPipMobileNetV2(nn.Module):
    """The reference ``Pip_mbnetv2`` layout: torchvision ``features`` + 5 convs."""

    def __init__(self, num_lms: int) -> None:
        super().__init__()
        self.features = torchvision.models.mobilenet_v2(weights=None).features
        _add_head(self, 1280, num_lms)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        return _run_head(self, self.features(x))


HEAD_NAMES = ('cls_layer', 'x_layer', 'y_layer', 'nb_x_layer', 'nb_y_layer')


def _add_head(net: nn.Module, channels: int, num_lms: int) -> None:
    for name, out in zip(HEAD_NAMES, [num_lms] * 3 + [num_lms * NUM_NB] * 2):
        setattr(net, name, nn.Conv2d(channels, out, 1))


def _run_head(net: nn.Module, x: Tensor) -> Tuple[Tensor, ...]:
    return tuple(getattr(net, name)(x) for name in HEAD_NAMES)


def randomised(net: nn.Module, seed: int = 0) -> nn.Module:
    """Random conv weights and biases, random BN affine and running statistics; eval."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5, generator=gen)
                module.bias.normal_(0, 0.1, generator=gen)
                module.running_mean.normal_(0, 0.1, generator=gen)
                module.running_var.uniform_(0.5, 1.5, generator=gen)
                module.num_batches_tracked.fill_(1234)
            elif isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
                module.weight.normal_(0, module.weight[0].numel() ** -0.5, generator=gen)
                if module.bias is not None:
                    module.bias.normal_(0, 0.1, generator=gen)
    return net.eval()


def reference_reverse_index(meanface: np.ndarray, num_nb: int) -> Dict[int, List[tuple]]:
    """Section 2: neighbours from the mean face, reverse lists padded cyclically."""
    num_lms = len(meanface)
    neighbours = []
    for i in range(num_lms):
        dists = np.sum((meanface[i] - meanface) ** 2, axis=1)
        neighbours.append([k for k in np.argsort(dists) if k != i][:num_nb])
    reverse: Dict[int, List[tuple]] = {k: [] for k in range(num_lms)}
    for i in range(num_lms):
        for j in range(num_nb):
            reverse[neighbours[i][j]].append((i, j))
    max_len = max(len(pairs) for pairs in reverse.values())
    return {k: (pairs * max_len)[:max_len] for k, pairs in reverse.items()}


def reference_decode(outputs: Tuple[Tensor, ...], reverse: Dict[int, List[tuple]],
                     num_nb: int) -> np.ndarray:
    """Section 5 for one image (batch 1), landmark by landmark: (K, 2) in [0, 1]."""
    cls, off_x, off_y, nb_x, nb_y = [o[0].numpy().reshape(o.shape[1], -1) for o in outputs]
    height, width = outputs[0].shape[2:]
    own, votes = [], []
    for i in range(cls.shape[0]):
        idx = int(np.argmax(cls[i]))
        cell_x, cell_y = idx % width, idx // width
        own.append(((cell_x + off_x[i, idx]) / width, (cell_y + off_y[i, idx]) / height))
        votes.append([((cell_x + nb_x[num_nb * i + j, idx]) / width,
                        (cell_y + nb_y[num_nb * i + j, idx]) / height)
                       for j in range(num_nb)])
    merged = []
    for k in range(cls.shape[0]):
        points = [own[k]] + [votes[i][j] for i, j in reverse[k]]
        merged.append(np.mean(np.array(points, dtype=np.float64), axis=0))
    return np.array(merged)


def save_reference(net: nn.Module, path: Path, data_parallel: bool = False) -> str:
    """Save like the reference (``torch.save(net.state_dict())``), or as a wrapped
    ``nn.DataParallel`` state dict."""
    state = net.state_dict()
    if data_parallel:
        state = {'state_dict': {f'module.{k}': v for k, v in state.items()}}
    torch.save(state, path)
    return str(path)


def convert_with_cli(src: str, dst: str, config: str,
                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, 'argv',
                        ['convert_official_ckpt.py', src, dst, '--config', config])
    runpy.run_path(str(ROOT / 'tools' / 'convert_official_ckpt.py'), run_name='__main__')


PARITY_CASES = {
    'res18': ('wflw_res18.py', lambda: RefPipResNet18(98), True),
    'res18_stride64': ('wflw_res18_stride64.py', lambda: RefPipResNet18(98, 64), False),
    'mbv2': ('wflw_mbv2.py', lambda: RefPipMobileNetV2(98), False),
}


@pytest.mark.parametrize('case', list(PARITY_CASES))
def test_converted_matches_reference(case: str, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture) -> None:
    config_name, make_net, data_parallel = PARITY_CASES[case]
    config = str(CONFIGS / config_name)
    ref = randomised(make_net())
    src = save_reference(ref, tmp_path / 'ref.pth', data_parallel)
    dst = str(tmp_path / 'out' / 'converted.pth')
    convert_with_cli(src, dst, config, monkeypatch)
    summary = capsys.readouterr().out.strip().splitlines()
    assert len(summary) == 1 and summary[0].startswith(f'converted {src}')

    model = init_model(config, dst, device='cpu',
                       cfg_options={'model.backbone.init_cfg': None})
    crops = torch.randn(2, 3, INPUT_SIZE, INPUT_SIZE,
                        generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref_outputs = [ref(crop[None]) for crop in crops]  # the reference runs batch 1
        feats = model.extract_feat(crops)
        torch.testing.assert_close(model.head.forward(feats),
                                   tuple(torch.cat(maps) for maps in zip(*ref_outputs)),
                                   rtol=1e-4, atol=1e-4)
        samples = [PoseDataSample(metainfo=model.dataset_meta) for _ in crops]
        preds = model.head.predict(feats, samples)
    reverse = reference_reverse_index(np.loadtxt(WFLW_MEANFACE).reshape(-1, 2), NUM_NB)
    expected = np.stack([reference_decode(out, reverse, NUM_NB) for out in ref_outputs])
    ours = np.stack([p.keypoints[0] for p in preds]) / INPUT_SIZE
    assert ours.shape == expected.shape == (2, 98, 2)
    np.testing.assert_allclose(ours, expected, atol=1e-4, rtol=0)


@pytest.mark.parametrize('stride, layers', [
    (16, {'deconv1': 0, 'bn_deconv1': 1}),
    (128, {'layer5': 0, 'bn5': 1, 'layer6': 3, 'bn6': 4}),
])
def test_stride_variants_load_strict(stride: int, layers: Dict[str, int],
                                     tmp_path: Path) -> None:
    """The other stride layers convert and load strictly (parity: stride 64 above)."""
    ref = randomised(RefPipResNet18(98, stride))
    src = save_reference(ref, tmp_path / 'ref.pth')
    checkpoint = convert_official_checkpoint(
        src, str(tmp_path / 'converted.pth'), str(CONFIGS / f'wflw_res18_stride{stride}.py'))
    state = checkpoint['state_dict']
    for name, index in layers.items():
        for leaf, value in getattr(ref, name).state_dict().items():
            assert torch.equal(state[f'head.stride_adapter.{index}.{leaf}'], value)
    assert len(state) == len(ref.state_dict())


def test_state_dict_keys() -> None:
    """Trunk, stride layers and head land where they should; fc/classifier dropped."""
    weight = torch.zeros(1)
    resnet = convert_official_state_dict(
        {'module.conv1.weight': weight, 'layer4.1.bn2.running_var': weight,
         'layer5.weight': weight, 'bn5.bias': weight, 'layer6.weight': weight,
         'bn6.running_mean': weight, 'nb_y_layer.bias': weight, 'fc.weight': weight},
        'resnet')
    assert sorted(resnet) == sorted([
        'backbone.conv1.weight', 'backbone.layer4.1.bn2.running_var',
        'head.stride_adapter.0.weight', 'head.stride_adapter.1.bias',
        'head.stride_adapter.3.weight', 'head.stride_adapter.4.running_mean',
        'head.nb_y_layer.bias'])
    assert list(convert_official_state_dict({'deconv1.weight': weight,
                                             'bn_deconv1.weight': weight}, 'resnet')) == [
        'head.stride_adapter.0.weight', 'head.stride_adapter.1.weight']
    mbv2 = convert_official_state_dict(
        {'features.0.0.weight': weight, 'features.18.1.running_mean': weight,
         'features.1.conv.1.weight': weight, 'cls_layer.weight': weight,
         'classifier.1.weight': weight}, 'mobilenet_v2')
    assert sorted(mbv2) == sorted([
        'backbone.conv1.conv.weight', 'backbone.conv2.bn.running_mean',
        'backbone.layer1.0.conv.1.conv.weight', 'head.cls_layer.weight'])


@pytest.mark.parametrize('key, arch', [
    ('conv.0.weight', 'mobilenet_v2'),  # a MobileNetV3 checkpoint's extra conv
    ('features.19.0.weight', 'mobilenet_v2'),
    ('features.2.conv.4.weight', 'mobilenet_v2'),
    ('features.0.0.weight', 'resnet'),
    ('layer5.weight', 'mobilenet_v2'),
    ('module.extra_layer.weight', 'resnet'),
])
def test_unknown_key(key: str, arch: str) -> None:
    with pytest.raises(ValueError, match=f"unknown key '{key}'"):
        convert_official_state_dict({'cls_layer.weight': torch.zeros(1), key: torch.zeros(1)},
                                    arch)


def test_bad_input_errors() -> None:
    with pytest.raises(ValueError, match='both convert to .head.stride_adapter.0.weight'):
        convert_official_state_dict({'layer5.weight': torch.zeros(1),
                                     'deconv1.weight': torch.zeros(1)}, 'resnet')
    with pytest.raises(ValueError, match="unknown arch 'mobilenet_v3'"):
        convert_official_state_dict({}, 'mobilenet_v3')
    cfg = Config.fromfile(str(CONFIGS / 'wflw_res18.py'))
    cfg.model.backbone.type = 'HRNet'
    with pytest.raises(ValueError, match="backbone 'HRNet' has no reference PIPNet"):
        convert_official_checkpoint('unused.pth', 'unused_out.pth', cfg)


@pytest.mark.parametrize('make_net, pattern', [
    # a 300W (K=68) checkpoint for the WFLW (K=98) config
    (lambda: RefPipResNet18(68),
     r'head\.cls_layer\.weight: checkpoint \(68, 512, 1, 1\) vs model \(98, 512, 1, 1\)'),
    # a stride-64 checkpoint for the stride-32 config
    (lambda: RefPipResNet18(98, 64), r"unexpected \['head\.stride_adapter\.0\.bias'"),
])
def test_mismatch_errors(make_net: Callable[[], nn.Module], pattern: str,
                         tmp_path: Path) -> None:
    src = save_reference(make_net(), tmp_path / 'ref.pth')
    dst = tmp_path / 'converted.pth'
    with pytest.raises(ValueError, match=pattern) as info:
        convert_official_checkpoint(src, str(dst), str(CONFIGS / 'wflw_res18.py'))
    assert '\n' not in str(info.value)
    assert not dst.exists()
