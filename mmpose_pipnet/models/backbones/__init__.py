from .mobilenet_v2_trunk import MobileNetV2Trunk

__all__ = ['MobileNetV2Trunk']
