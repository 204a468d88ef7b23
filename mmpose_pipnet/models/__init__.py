from . import heads, imagenet_weights, losses  # noqa: F401  (registration)
from .channels_last_estimator import ChannelsLastTopdownEstimator
from .heads import PIPHead
from .losses import MaskedKeypointMSELoss, MaskedL1Loss

__all__ = ['ChannelsLastTopdownEstimator', 'PIPHead', 'MaskedKeypointMSELoss',
           'MaskedL1Loss']
