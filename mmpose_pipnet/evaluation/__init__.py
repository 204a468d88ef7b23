from .ced import load_nmes, plot_ced
from .metrics import NMEFailureAUC, failure_rate_and_auc, landmark_biases
from .training_curves import plot_training_curves, plot_validation_curves, read_scalars

__all__ = ['NMEFailureAUC', 'failure_rate_and_auc', 'landmark_biases', 'load_nmes', 'plot_ced',
           'plot_training_curves', 'plot_validation_curves', 'read_scalars']
