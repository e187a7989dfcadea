"""Random helpers for the numpy generation: calibrated probabilities, stratified
uniforms, weighted choices and log-normal delays."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def calibrated(logits: np.ndarray, rate: float) -> np.ndarray:
    """Probabilities sigmoid(logit + shift), the shift chosen so that their mean is ``rate``."""
    if logits.size == 0:
        return logits.astype(float)
    lo, hi = -20.0, 20.0
    for _ in range(50):
        mid = (lo + hi) / 2
        if _sigmoid(logits + mid).mean() < rate:
            lo = mid
        else:
            hi = mid
    return _sigmoid(logits + (lo + hi) / 2)


def uniform(rng: np.random.Generator, n: int) -> np.ndarray:
    """Stratified uniforms in random order: stage rates land close to their targets."""
    return (rng.permutation(n) + rng.random(n)) / max(n, 1)


def normal(rng: np.random.Generator, n: int) -> np.ndarray:
    """Stratified standard normals in random order: shares below a threshold land close to
    their expectation even for a few dozen draws."""
    inv = NormalDist().inv_cdf
    return np.array([inv(u) for u in np.clip(uniform(rng, n), 1e-9, 1 - 1e-9).tolist()])


def choice(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    cum = np.cumsum(p)
    return np.minimum(np.searchsorted(cum, rng.random(n) * cum[-1], side="right"), len(p) - 1)


def row_choice(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One index per row of a (n, k) probability table."""
    cum = probs.cumsum(axis=1)
    u = rng.random(len(probs))[:, None] * cum[:, -1:]
    return np.minimum((cum <= u).sum(axis=1), probs.shape[1] - 1)


def delay(rng, n: int, median: float | np.ndarray, sigma, lo: float, hi: float) -> np.ndarray:
    """Log-normal delays in whole seconds, clipped to [lo, hi]."""
    x = median * np.exp(sigma * rng.standard_normal(n))
    return np.clip(x, lo, hi).astype(np.int64)
