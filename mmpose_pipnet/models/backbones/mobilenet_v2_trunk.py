"""MMPose's MobileNetV2 cut after the last stage it outputs.

``MobileNetV2(out_indices=(4, ))`` in MMPose still builds and runs stages 5-7 (160 and 320
channels and the 1280-channel 1x1 conv) and throws their output away. A lite PIPNet that
reads the 96-channel stride-16 stage (``configs/pipnet/ytf68_lite.py``) needs none of
them: this backbone removes every stage after ``max(out_indices)``, so they cost no time,
no parameters and no checkpoint bytes. Stage indices, weights and keys are MMPose's
(``layer1`` ... ``layer7``, ``conv2``), so ImageNet weights for MMPose's MobileNetV2 load
into it (the removed stages' keys are reported as unused).
"""
from mmpose.models.backbones import MobileNetV2
from mmpose.registry import MODELS


@MODELS.register_module()
class MobileNetV2Trunk(MobileNetV2):
    """``MobileNetV2`` (same arguments) without the stages after ``max(out_indices)``.

    Stage ``i`` of ``out_indices`` is MMPose's: 0-6 the inverted-residual stages
    (16, 24, 32, 64, 96, 160, 320 channels x ``widen_factor``; strides 2, 4, 8, 16, 16,
    32, 32 of the input), 7 the 1280-channel 1x1 conv. Outputs: a tuple of (B, C_i,
    H / s_i, W / s_i) maps, as MMPose's.
    """

    def __init__(self, out_indices=(7, ), **kwargs) -> None:
        super().__init__(out_indices=out_indices, **kwargs)
        last = max(out_indices)
        for name in self.layers[last + 1:]:
            delattr(self, name)
        self.layers = self.layers[:last + 1]
