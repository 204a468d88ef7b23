from .ced import load_nmes, plot_ced
from .metrics import NMEFailureAUC, failure_rate_and_auc

__all__ = ['NMEFailureAUC', 'failure_rate_and_auc', 'load_nmes', 'plot_ced']
