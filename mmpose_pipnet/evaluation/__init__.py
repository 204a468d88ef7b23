from .metrics import NMEFailureAUC, failure_rate_and_auc, landmark_biases

__all__ = ['NMEFailureAUC', 'failure_rate_and_auc', 'landmark_biases']
