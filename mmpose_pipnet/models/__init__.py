from . import backbones, heads, imagenet_weights, losses  # noqa: F401  (registration)
from .backbones import MobileNetV2Trunk
from .channels_last_estimator import ChannelsLastTopdownEstimator
from .heads import PIPHead
from .losses import MaskedKeypointMSELoss, MaskedL1Loss

__all__ = ['ChannelsLastTopdownEstimator', 'MobileNetV2Trunk', 'PIPHead',
           'MaskedKeypointMSELoss', 'MaskedL1Loss']
