"""int8 PIPNet graphs: ONNX Runtime static quantisation of an exported model.

:func:`quantize_onnx` turns a graph of :func:`~mmpose_pipnet.deploy.export_onnx` into a
QDQ graph (``onnxruntime.quantization.quantize_static``): signed int8 weights, one scale
per output channel, and unsigned int8 activations (U8S8, the x86 fast path: VNNI's
``vpdpbusd``, AVX2's ``vpmaddubsw``; signed activations ran 1.4-1.9x slower than float32
on an AVX-512 VNNI EPYC) whose ranges come from calibration crops
(:func:`calibration_crops`: training faces through the config's own test pipeline, what
the graph sees at run time), by default the moving average of each crop's min / max
(:data:`CALIBRATION`). Only the network is quantised (its convolutions, the
residual additions and the ReLU6 clips); the in-graph preprocessing (channel swap,
mean / std) and the decoding (argmax, gathers, the neighbour merge) stay float32, so
the outputs and the metadata are those of the float graph and
``pipnet_onnxruntime.PIPNetONNXPredictor`` runs it unchanged.
"""
import os
import os.path as osp
import tempfile
from typing import Dict, List, Optional, Sequence

import numpy as np

#: The operators quantised inside the network; the preprocessing and decoding ops
#: (Slice, Sub, Div, ArgMax, Gather*, ...) are never in this list.
NETWORK_OPS = ('Conv', 'Add', 'Clip', 'Relu', 'MaxPool')
#: Activation ranges from the calibration crops: ``moving_average``: the moving average
#: (constant 0.01) of each crop's min / max, ``minmax``: the extremes over all crops,
#: ``percentile``: the 99.999th percentile of a histogram (slow; GBs of memory for 200
#: crops). NME change of the default model, 200 crops: +0.8%, +3.8%, +2.7% (measured on
#: the ytf68 held-out people, docs/benchmarks.md).
CALIBRATION = dict(moving_average=('MinMax', dict(CalibMovingAverage=True)),
                   minmax=('MinMax', {}), percentile=('Percentile', {}))


def calibration_crops(config: str, ann_file: Optional[str] = None, count: int = 200,
                      seed: int = 0, data_root: Optional[str] = None,
                      image_prefix: Optional[str] = None) -> np.ndarray:
    """``count`` faces of ``ann_file`` (a COCO json of the config's dataset type), drawn
    at random without replacement (``seed``), through ``config``'s test pipeline.

    Args:
        config: the model's config file
        ann_file: annotation file, absolute or relative to ``data_root`` (default: the
            config's training annotation file)
        count: faces to draw (all of them where the file has fewer)
        seed: the draw's random seed
        data_root: the data root (default: the config's test ``data_root``)
        image_prefix: the images' folder under ``data_root`` (default: the config's
            test ``data_prefix.img``)

    Returns:
        (N, 3, h, w) float32 crops, BGR 0-255: the exported graph's ``images`` input
    """
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    ann_file = ann_file or cfg.train_dataloader.dataset.get('ann_file')
    if ann_file is None:
        raise ValueError(f'calibration_crops: {config} trains on a mix of datasets '
                         f'({cfg.train_dataloader.dataset.type}); give the calibration json '
                         f'(--calib-ann)')
    dataset_cfg = cfg.test_dataloader.dataset.copy()
    dataset_cfg.update(ann_file=ann_file, test_mode=True)
    if data_root is not None:
        dataset_cfg['data_root'] = data_root
    if image_prefix is not None:
        dataset_cfg['data_prefix'] = dict(img=image_prefix)
    dataset = DATASETS.build(dataset_cfg)
    if not len(dataset):
        raise ValueError(f'calibration_crops: no faces in {dataset_cfg["ann_file"]}')
    rng = np.random.default_rng(seed)
    indices = np.sort(rng.choice(len(dataset), min(count, len(dataset)), replace=False))
    return np.stack([dataset[int(i)]['inputs'].numpy() for i in indices]).astype(np.float32)


class _CropReader:
    """``onnxruntime.quantization.CalibrationDataReader`` over (N, 3, h, w) crops, one
    batch-1 feed at a time."""

    def __init__(self, crops: np.ndarray, input_name: str = 'images') -> None:
        self.feeds = iter([{input_name: crop[None]} for crop in crops])

    def get_next(self) -> Optional[Dict[str, np.ndarray]]:
        return next(self.feeds, None)


def network_nodes(model, op_types: Sequence[str] = NETWORK_OPS) -> List[str]:
    """Names of the ``op_types`` nodes of ``model`` (an ``onnx.ModelProto``) from which a
    ``Conv`` can be reached or that are one: the network, its preprocessing excluded by
    type, its decoding by position (nothing of it feeds a convolution)."""
    producers = {out: node for node in model.graph.node for out in node.output}
    feeding: set = set()
    stack = [node for node in model.graph.node if node.op_type == 'Conv']
    while stack:
        node = stack.pop()
        if node.name in feeding:
            continue
        feeding.add(node.name)
        stack += [producers[name] for name in node.input if name in producers]
    return [node.name for node in model.graph.node
            if node.name in feeding and node.op_type in op_types]


def quantize_onnx(fp32_file: str, out_file: str, crops: np.ndarray,
                  per_channel: bool = True, calibrate_method: str = 'moving_average') -> str:
    """Write the int8 (QDQ) version of the exported graph ``fp32_file`` to ``out_file``.

    Args:
        fp32_file: a graph of ``export_onnx`` (landmark outputs or raw maps)
        out_file: the .onnx file to write
        crops: (N, 3, h, w) float32 BGR 0-255 calibration crops
            (:func:`calibration_crops`; about 200 are enough)
        per_channel: one weight scale per output channel (else one per tensor)
        calibrate_method: a key of :data:`CALIBRATION`

    Returns:
        ``out_file``; its metadata is ``fp32_file``'s plus ``precision=int8``,
        ``calibration_crops=N`` and ``calibration=calibrate_method``.
    """
    import onnx
    from onnxruntime.quantization import (CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process
    crops = np.asarray(crops, np.float32)
    if crops.ndim != 4 or crops.shape[1] != 3 or not len(crops):
        raise ValueError(f'quantize_onnx: crops must be (N, 3, h, w), got {crops.shape}')
    if calibrate_method not in CALIBRATION:
        raise ValueError(f'quantize_onnx: calibrate_method {calibrate_method!r}, expected '
                         f'one of {sorted(CALIBRATION)}')
    method, extra_options = CALIBRATION[calibrate_method]
    source = onnx.load(fp32_file)
    if osp.dirname(out_file):
        os.makedirs(osp.dirname(out_file), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        prepared = osp.join(tmp, 'prepared.onnx')
        quant_pre_process(fp32_file, prepared)  # shape inference + constant folding
        quantize_static(
            prepared, out_file, _CropReader(crops, source.graph.input[0].name),
            quant_format=QuantFormat.QDQ, per_channel=per_channel,
            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            nodes_to_quantize=network_nodes(onnx.load(prepared)),
            calibrate_method=CalibrationMethod[method], extra_options=extra_options)
    quantized = onnx.load(out_file)
    del quantized.metadata_props[:]
    meta = {p.key: p.value for p in source.metadata_props}
    meta.update(precision='int8', calibration_crops=str(len(crops)),
                calibration=calibrate_method)
    for key, value in meta.items():
        quantized.metadata_props.add(key=key, value=value)
    onnx.save(quantized, out_file)
    return out_file
