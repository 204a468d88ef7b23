"""MMPose's top-down estimator with the network in channels_last (NHWC) memory layout."""
import torch
from mmpose.models.pose_estimators import TopdownPoseEstimator
from mmpose.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class ChannelsLastTopdownEstimator(TopdownPoseEstimator):
    """``TopdownPoseEstimator`` whose convolutions run in channels_last (NHWC) layout.

    On a CPU, oneDNN's convolutions are faster on NHWC tensors, most at batch > 1, where
    MMPose's default layout made a batch of 8 faces cost MobileNetV2 more per face than
    one (``tools/analysis/benchmark.py``; docs/benchmarks.md). The 4-D weights are converted once
    here (loading a checkpoint copies into them and keeps the layout), and the inputs
    (B, 3, H, W) in :meth:`extract_feat`; ``PIPHead`` returns its maps in the usual
    contiguous layout, so losses and decoding see ordinary tensors. Results equal the
    default layout's to float rounding.

    Args:
        channels_last: False gives MMPose's default (NCHW) layout.
        *args, **kwargs: as ``TopdownPoseEstimator``.
    """

    def __init__(self, *args, channels_last: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.channels_last = channels_last
        if channels_last:
            self.to(memory_format=torch.channels_last)

    def extract_feat(self, inputs: Tensor):
        """Backbone (+ neck) features of (B, 3, H, W) inputs, in the model's layout."""
        if self.channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        return super().extract_feat(inputs)
