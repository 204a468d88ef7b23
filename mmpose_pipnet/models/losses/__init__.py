from .masked_losses import MaskedKeypointMSELoss, MaskedL1Loss

__all__ = ['MaskedKeypointMSELoss', 'MaskedL1Loss']
