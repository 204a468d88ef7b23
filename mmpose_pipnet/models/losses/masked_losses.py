"""PIPNet's losses (Jin, Liao & Shao, IJCV 2021, arXiv 2003.03771) as registered MMPose
losses: means over the supervised points only.

MMPose's ``KeypointMSELoss`` and ``L1Loss`` with ``use_target_weight=True`` zero the
masked points but still divide by every element, so a batch with missing points would
weigh less; these divide by the supervised points' weight sum instead. With every point
supervised, :class:`MaskedKeypointMSELoss` equals ``KeypointMSELoss``, and
:class:`MaskedL1Loss` is D times MMPose's ``L1Loss`` (it sums the D coordinates' errors).
They take the arguments MMPose's losses take, ``(output, target, target_weights)``, so
either kind can be configured into :class:`PIPHead`.
"""
from mmpose.registry import MODELS
from torch import Tensor, nn


def _weight_sum(target_weights: Tensor) -> Tensor:
    """The normaliser: the sum of the (0/1) weights, at least 1 (0 when all are masked)."""
    return target_weights.sum().clamp(min=1)


@MODELS.register_module()
class MaskedKeypointMSELoss(nn.Module):
    """Score-map MSE averaged over the maps of the supervised points.

    ``loss_weight * sum_bk w_bk * mean_hw (output - target)^2 / max(sum_bk w_bk, 1)``

    Args:
        loss_weight: factor of the loss. :class:`PIPHead` fills it, when its config
            leaves it out, with the paper's score-map weight for the head's stride.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, output: Tensor, target: Tensor, target_weights: Tensor) -> Tensor:
        """
        Args:
            output: (B, K, H, W) predicted score maps (PIPNet: raw logits)
            target: (B, K, H, W) target maps (PIPNet: one-hot at the point's cell)
            target_weights: (B, K) 1 for a supervised point, 0 for a masked one

        Returns:
            Tensor: the scalar loss
        """
        per_map = ((output - target) ** 2).flatten(2).mean(-1)  # (B, K)
        return (per_map * target_weights).sum() / _weight_sum(target_weights) * \
            self.loss_weight


@MODELS.register_module()
class MaskedL1Loss(nn.Module):
    """L1 of D-dimensional vectors: per coordinate the mean absolute error over the
    supervised vectors, summed over the D coordinates.

    ``loss_weight * sum_d sum_n w_n |output_nd - target_nd| / max(sum_n w_n, 1)``, n
    running over every leading index (points, or points x neighbours).

    Args:
        loss_weight: factor of the loss
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, output: Tensor, target: Tensor, target_weights: Tensor) -> Tensor:
        """
        Args:
            output: (..., D) predictions, e.g. (B, K, 2) in-cell offsets or (B, K, C, 2)
                neighbour offsets, in cells
            target: (..., D) targets, same shape and units
            target_weights: (...) 1 for a supervised vector, 0 for a masked one

        Returns:
            Tensor: the scalar loss
        """
        count = _weight_sum(target_weights)
        return sum(((pred - gt).abs() * target_weights).sum() / count
                   for pred, gt in zip(output.unbind(-1), target.unbind(-1))) * self.loss_weight
