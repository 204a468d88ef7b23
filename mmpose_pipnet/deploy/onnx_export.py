"""Export a PIPNet model to ONNX with preprocessing and decoding inside the graph.

Graph input ``images``: (B, 3, h, w) float32 crops, BGR, 0-255 (what OpenCV gives,
HWC -> CHW), for the config's input size; the data preprocessor's channel swap and
mean/std run in the graph. Outputs (default): ``keypoints`` (B, K, 2) in crop pixels after
the NRM merge and ``scores`` (B, K) (the max raw score-map logit of each point): the
argmax, the gathers and the merge are in the graph (:meth:`PIPLabel.decode_tensors`), so
a deployer needs no PIPNet code. With ``raw_maps=True`` the outputs are the head's five
maps ``cls, off_x, off_y, nb_x, nb_y`` instead. The batch axis is dynamic.

The model's metadata (``metadata_props``) records what a runtime needs to make crops:
``input_size`` ("w,h"), ``bbox_padding`` (the pipeline's ``GetBBoxCenterScale``
padding), ``num_keypoints``, ``outputs`` ("landmarks" or "raw_maps") and, where weights
were given, ``weights_sha256`` (the checkpoint file's SHA-256: which weights the graph holds).
"""
import os
import os.path as osp
from typing import Optional, Tuple

import torch
from mmpose.apis import init_model
from torch import Tensor, nn

from ..utils.files import file_sha256


class PIPNetDeployModel(nn.Module):
    """A top-down PIPNet (``TopdownPoseEstimator`` + ``PIPHead``) as one tensor function.

    Args:
        model: the pose estimator (e.g. from ``mmpose.apis.init_model``); a
            ``ChannelsLastTopdownEstimator`` is switched to the default layout in place
        raw_maps: return the five head maps instead of decoded landmarks
    """

    def __init__(self, model: nn.Module, raw_maps: bool = False) -> None:
        super().__init__()
        from ..models.heads import PIPHead
        if not isinstance(getattr(model, 'head', None), PIPHead):
            raise ValueError(f'PIPNetDeployModel: {type(model).__name__} has no PIPHead')
        if getattr(model, 'channels_last', False):  # the graph has no memory layout:
            model.channels_last = False  # trace the plain NCHW network (ORT picks its own)
            model.to(memory_format=torch.contiguous_format)
        self.model = model.eval()
        self.raw_maps = raw_maps
        preprocessor = model.data_preprocessor
        self.bgr_to_rgb = bool(getattr(preprocessor, '_channel_conversion', False))
        normalize = getattr(preprocessor, '_enable_normalize', False)
        mean = preprocessor.mean if normalize else torch.zeros(1)
        std = preprocessor.std if normalize else torch.ones(1)
        self.register_buffer('mean', mean.detach().clone().float().reshape(1, -1, 1, 1))
        self.register_buffer('std', std.detach().clone().float().reshape(1, -1, 1, 1))
        self.register_buffer('input_size',
                             torch.tensor(model.head.decoder.input_size, dtype=torch.float32))

    def forward(self, images: Tensor) -> Tuple[Tensor, ...]:
        """(B, 3, h, w) BGR 0-255 crops -> keypoints (B, K, 2) crop px, scores (B, K)."""
        if self.bgr_to_rgb:
            images = images.flip(1)
        maps = self.model.head.forward(self.model.extract_feat((images - self.mean) / self.std))
        if self.raw_maps:
            return maps
        coords, scores = self.model.head.decoder.decode_tensors(*maps)
        return coords * self.input_size, scores


class PIPNetDecodeModel(nn.Module):
    """The in-graph decoding alone: the head's five maps -> keypoints (B, K, 2) in crop
    pixels and scores (B, K); what the landmark graph adds after the raw maps (exported
    on its own by :func:`export_decoder_onnx` to time that part)."""

    def __init__(self, decoder) -> None:
        super().__init__()
        self.decoder = decoder
        self.register_buffer('input_size',
                             torch.tensor(decoder.input_size, dtype=torch.float32))

    def forward(self, cls: Tensor, off_x: Tensor, off_y: Tensor, nb_x: Tensor,
                nb_y: Tensor) -> Tuple[Tensor, Tensor]:
        coords, scores = self.decoder.decode_tensors(cls, off_x, off_y, nb_x, nb_y)
        return coords * self.input_size, scores


def _bbox_padding(cfg) -> float:
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] == 'GetBBoxCenterScale':
            return float(step.get('padding', 1.25))
    raise ValueError('the config\'s test pipeline has no GetBBoxCenterScale (needed to make '
                     'crops at run time)')


def export_onnx(config: str, checkpoint: Optional[str], out_file: str,
                raw_maps: bool = False, opset: int = 18, batch_size: int = 2) -> str:
    """Export ``config`` + ``checkpoint`` to ``out_file`` (see the module doc).

    ``batch_size`` is only the example batch traced; the exported batch axis is dynamic.
    Returns ``out_file``.
    """
    import onnx
    model = init_model(config, checkpoint, device='cpu')
    deploy = PIPNetDeployModel(model, raw_maps).eval()
    width, height = model.head.decoder.input_size
    example = torch.rand(batch_size, 3, height, width) * 255
    outputs = (['cls', 'off_x', 'off_y', 'nb_x', 'nb_y'] if raw_maps
               else ['keypoints', 'scores'])
    if osp.dirname(out_file):
        os.makedirs(osp.dirname(out_file), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(deploy, (example, ), out_file, input_names=['images'],
                          output_names=outputs, opset_version=opset, dynamo=True,
                          dynamic_shapes=({0: torch.export.Dim('batch', min=1)}, ),
                          external_data=False)
    proto = onnx.load(out_file)
    meta = dict(input_size=f'{width},{height}', bbox_padding=str(_bbox_padding(model.cfg)),
                num_keypoints=str(model.head.num_keypoints),
                outputs='raw_maps' if raw_maps else 'landmarks')
    if checkpoint is not None:
        meta['weights_sha256'] = file_sha256(checkpoint)
    for key, value in meta.items():
        proto.metadata_props.add(key=key, value=value)
    onnx.save(proto, out_file)
    return out_file


def export_decoder_onnx(config: str, out_file: str, opset: int = 18,
                        batch_size: int = 2) -> str:
    """Export only the decoding of ``config``'s head (inputs: the five maps ``cls``,
    ``off_x``, ``off_y``, ``nb_x``, ``nb_y`` of :func:`export_onnx` with ``raw_maps``;
    outputs ``keypoints``, ``scores``). Dynamic batch. Returns ``out_file``."""
    model = init_model(config, None, device='cpu').eval()
    width, height = model.head.decoder.input_size
    with torch.no_grad():
        maps = model.head.forward(model.extract_feat(torch.rand(batch_size, 3, height, width)))
    names = ['cls', 'off_x', 'off_y', 'nb_x', 'nb_y']
    batch = torch.export.Dim('batch', min=1)
    if osp.dirname(out_file):
        os.makedirs(osp.dirname(out_file), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(PIPNetDecodeModel(model.head.decoder), tuple(maps), out_file,
                          input_names=names, output_names=['keypoints', 'scores'],
                          opset_version=opset, dynamo=True,
                          dynamic_shapes=tuple({0: batch} for _ in names),
                          external_data=False)
    return out_file
