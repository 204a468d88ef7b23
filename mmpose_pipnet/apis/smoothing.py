"""Temporal smoothing of landmarks: the One Euro filter (Casiez, Roussel & Vogel, CHI 2012).

A low-pass filter whose cut-off rises with the speed of the signal: still landmarks are
smoothed hard (little jitter), moving ones follow with little lag. Every coordinate of
every point is filtered independently, all at once (arrays of any shape).

Units: landmarks in pixels, times in seconds; the speed that raises the cut-off is
measured in face sizes per second (pixels/s over ``scale``, e.g. the face box side), so
``beta`` means the same for a small and a big face.
"""
import math
from typing import Optional

import numpy as np


def _alpha(cutoff, dt: float):
    """Smoothing factor of an exponential filter with ``cutoff`` Hz at step ``dt`` s."""
    tau = 1.0 / (2 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """One Euro filter over arrays (e.g. (K, 2) landmarks of one face).

    Args:
        min_cutoff: cut-off frequency (Hz) for a still signal: lower = smoother
        beta: how fast the cut-off rises with speed (per face-size/s): higher = less lag
        d_cutoff: cut-off frequency (Hz) of the speed estimate
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 1.0,
                 d_cutoff: float = 1.0) -> None:
        for name, value in (('min_cutoff', min_cutoff), ('d_cutoff', d_cutoff)):
            if value <= 0:
                raise ValueError(f'OneEuroFilter: {name}={value} must be > 0 (Hz)')
        if beta < 0:
            raise ValueError(f'OneEuroFilter: beta={beta} must be >= 0')
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self._x: Optional[np.ndarray] = None
        self._dx: Optional[np.ndarray] = None
        self._t: Optional[float] = None

    def __call__(self, x: np.ndarray, t: float, scale: float = 1.0) -> np.ndarray:
        """Filter one sample.

        Args:
            x: the landmarks (any shape, pixels)
            t: its time in seconds (increasing)
            scale: face size in pixels (the speed is taken in face sizes per second)

        Returns:
            np.ndarray: the smoothed landmarks, same shape and units as ``x``
        """
        x = np.asarray(x, np.float64)
        if self._x is None or t <= self._t or x.shape != self._x.shape:
            self._x, self._dx, self._t = x, np.zeros_like(x), t
            return x.copy()
        dt = t - self._t
        dx = self._dx + _alpha(self.d_cutoff, dt) * ((x - self._x) / dt - self._dx)
        cutoff = self.min_cutoff + self.beta * np.abs(dx) / scale
        self._x = self._x + _alpha(cutoff, dt) * (x - self._x)
        self._dx, self._t = dx, t
        return self._x.copy()
