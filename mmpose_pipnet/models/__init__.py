from . import heads, imagenet_weights  # noqa: F401  (registration)
from .channels_last_estimator import ChannelsLastTopdownEstimator
from .heads import PIPHead

__all__ = ['ChannelsLastTopdownEstimator', 'PIPHead']
