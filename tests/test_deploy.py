"""ONNX export (decoding in the graph) and the ONNX Runtime predictor vs PyTorch."""
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from conftest import CONFIGS, FACE_SAMPLES, REPO, load_tool
from mmpose_pipnet.apis import DEFAULT_CHECKPOINT, DEFAULT_CONFIG
from mmpose_pipnet.deploy import export_onnx
from mmpose_pipnet.apis.face_detection import landmark_square

load_face_images = load_tool('analysis/_common.py').load_face_images

MBV2, MBV2_CKPT = DEFAULT_CONFIG, DEFAULT_CHECKPOINT


def random_checkpoint(config, path, seed=0):
    """Weights for ``config`` with a head initialised at std 0.05 (not the tiny training
    init), so the score maps have clear maxima, saved as an MMEngine checkpoint."""
    from mmpose.apis import init_model
    model = init_model(config, None, device='cpu')
    torch.manual_seed(seed)
    for module in model.head.modules():
        if isinstance(module, torch.nn.Conv2d):
            torch.nn.init.normal_(module.weight, std=0.05)
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return str(path)


def fixture_faces():
    images = load_face_images(f'{FACE_SAMPLES}/300w/test_300w.json', f'{FACE_SAMPLES}/300w')
    images += load_face_images(f'{FACE_SAMPLES}/coco/test_coco_wholebody.json',
                               f'{FACE_SAMPLES}/coco')
    return [(cv2.imread(im['path']), landmark_square(im['points'])) for im in images]


def assert_predictor_matches_pytorch(config, checkpoint, onnx_file):
    from mmpose.apis import inference_topdown, init_model
    from pipnet_onnxruntime import PIPNetONNXPredictor
    model = init_model(config, checkpoint, device='cpu')
    predictor = PIPNetONNXPredictor(onnx_file)
    crop = model.head.decoder.input_size[0]
    no_face = predictor(np.zeros((64, 64, 3), np.uint8), [])
    assert [a.shape for a in no_face] == [(0, model.head.num_keypoints, 2),
                                          (0, model.head.num_keypoints)]
    for image, boxes in fixture_faces():
        samples = inference_topdown(model, image, boxes)
        expected = np.concatenate([s.pred_instances.keypoints for s in samples])
        expected_scores = np.concatenate([s.pred_instances.keypoint_scores for s in samples])
        keypoints, scores = predictor(image, boxes)
        # image pixels -> crop pixels: the crop is the box padded x1.25
        error = np.abs(keypoints - expected).max((1, 2)) * crop / (
            1.25 * (boxes[:, 2] - boxes[:, 0]))
        assert error.max() < 1e-3 * crop, error
        np.testing.assert_allclose(scores, expected_scores, atol=1e-3)


@pytest.mark.slow
@pytest.mark.shared_data
def test_bundled_mbv2_onnx_matches_pytorch(tmp_path):
    onnx_file = export_onnx(MBV2, MBV2_CKPT, str(tmp_path / 'mbv2.onnx'))
    assert_predictor_matches_pytorch(MBV2, MBV2_CKPT, onnx_file)


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize('config', ['300w_res18.py', 'wflw_res18_stride16.py',
                                    'wflw_res18_stride64.py', 'wflw_res18_stride128.py'])
def test_resnet18_and_strides_onnx_match_pytorch(tmp_path, config):
    config = osp.join(CONFIGS, config)
    checkpoint = random_checkpoint(config, tmp_path / 'r18.pth')
    onnx_file = export_onnx(config, checkpoint, str(tmp_path / 'r18.onnx'))
    assert_predictor_matches_pytorch(config, checkpoint, onnx_file)


@pytest.mark.slow
def test_raw_maps_and_dynamic_batch(tmp_path):
    import onnxruntime as ort
    from mmpose.apis import init_model
    from mmpose_pipnet.deploy import PIPNetDeployModel
    onnx_file = export_onnx(MBV2, MBV2_CKPT, str(tmp_path / 'maps.onnx'), raw_maps=True)
    session = ort.InferenceSession(onnx_file, providers=['CPUExecutionProvider'])
    assert session.get_modelmeta().custom_metadata_map['outputs'] == 'raw_maps'
    model = PIPNetDeployModel(init_model(MBV2, MBV2_CKPT, device='cpu'), raw_maps=True)
    for batch in (1, 3):
        images = np.random.default_rng(batch).uniform(0, 255, (batch, 3, 192, 192))
        images = images.astype(np.float32)
        maps = session.run(None, {'images': images})
        with torch.no_grad():
            expected = model(torch.from_numpy(images))
        assert [m.shape for m in maps] == [(batch, 68, 6, 6)] * 3 + [(batch, 680, 6, 6)] * 2
        for got, want in zip(maps, expected):
            np.testing.assert_allclose(got, want.numpy(), atol=1e-4)


@pytest.mark.slow
def test_decoder_graph_after_raw_maps_equals_the_landmark_graph(tmp_path):
    """The benchmark times the decoding as its own graph: raw maps -> decoder graph must
    give the landmark graph's keypoints and scores."""
    import onnxruntime as ort
    from mmpose_pipnet.deploy import export_decoder_onnx
    sessions = {name: ort.InferenceSession(path, providers=['CPUExecutionProvider'])
                for name, path in (
                    ('maps', export_onnx(MBV2, MBV2_CKPT, str(tmp_path / 'm.onnx'), True)),
                    ('full', export_onnx(MBV2, MBV2_CKPT, str(tmp_path / 'f.onnx'))),
                    ('decode', export_decoder_onnx(MBV2, str(tmp_path / 'd.onnx'))))}
    image = cv2.imread(f'{FACE_SAMPLES}/300w/indoor_029.png')
    images = np.stack([cv2.resize(image, (192, 192)), image[:192, :192]])
    images = np.ascontiguousarray(images.transpose(0, 3, 1, 2), np.float32)
    maps = sessions['maps'].run(None, {'images': images})
    decoded = sessions['decode'].run(None, dict(zip(['cls', 'off_x', 'off_y', 'nb_x', 'nb_y'],
                                                    maps)))
    keypoints, scores = sessions['full'].run(None, {'images': images})
    np.testing.assert_allclose(decoded[0], keypoints, atol=1e-3)
    np.testing.assert_allclose(decoded[1], scores, atol=1e-4)
    assert keypoints.std() > 10  # landmarks spread over the crop, not one point


def test_predictor_imports_no_openmmlab_or_torch():
    code = ('import sys, pipnet_onnxruntime; '
            'bad = sorted({m.split(".")[0] for m in sys.modules} & '
            '{"mmpose", "mmcv", "mmengine", "mmdet", "torch", "mmpose_pipnet"}); '
            'print(bad); sys.exit(bool(bad))')
    run = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_predictor_crop_matrix_literal():
    from pipnet_onnxruntime import PIPNetONNXPredictor
    predictor = PIPNetONNXPredictor.__new__(PIPNetONNXPredictor)
    predictor.input_size, predictor.bbox_padding = (192, 192), 1.25
    # a 100 x 80 box centred at (150, 90): padded 125 x 100, squared to 125
    (matrix, ) = predictor.crop_transforms(np.array([[100., 50., 200., 130.]]))
    scale = 192 / 125
    np.testing.assert_allclose(matrix, [[scale, 0, 96 - scale * 150],
                                        [0, scale, 96 - scale * 90]])


def test_export_tool_errors_are_one_line(tmp_path):
    run = subprocess.run([sys.executable, 'tools/deploy/export_onnx.py', MBV2,
                          str(tmp_path / 'missing.pth'), '--out', str(tmp_path / 'x.onnx')],
                         cwd=REPO, capture_output=True, text=True)
    assert run.returncode != 0 and 'Traceback' not in run.stderr
    assert run.stderr.strip().splitlines()[-1] == \
        f'export_onnx: checkpoint file {tmp_path / "missing.pth"} not found'
