"""From ranking scores to probabilities: Platt scaling, fitted on what was shown.

The model's scores rank items; an auction needs p(result | impression). A
logistic map p = sigmoid(a·score + b), fitted on logged impressions and
whether the result followed, turns one into the other. The reliability table
(predicted against observed, by bucket) is what the ads benchmark reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


@dataclass
class Calibrator:
    a: float = 0.0
    b: float = -3.0  # before any data: a flat 5% prior
    n: int = 0  # impressions it was fitted on

    def predict(self, scores: np.ndarray | float) -> np.ndarray:
        return sigmoid(self.a * np.asarray(scores, dtype=np.float64) + self.b)

    @classmethod
    def fit(cls, scores: np.ndarray, labels: np.ndarray, l2: float = 1e-3) -> Calibrator:
        """Newton's method on the L2-regularised log loss (two parameters)."""
        x = np.asarray(scores, dtype=np.float64)
        y = np.asarray(labels, dtype=np.float64)
        if len(x) == 0:
            return cls()
        rate = float(np.clip(y.mean(), 1e-4, 1 - 1e-4))
        w = np.array([0.0, np.log(rate / (1 - rate))])  # (a, b)
        X = np.stack([x, np.ones_like(x)], axis=1)  # (N, 2)
        for _ in range(50):
            p = sigmoid(X @ w)
            grad = X.T @ (p - y) / len(x) + l2 * np.array([w[0], 0.0])
            hess = (X * (p * (1 - p))[:, None]).T @ X / len(x) + l2 * np.eye(2)
            step = np.linalg.solve(hess + 1e-9 * np.eye(2), grad)
            w -= step
            if np.abs(step).max() < 1e-8:
                break
        return cls(float(w[0]), float(w[1]), len(x))


def reliability(p: np.ndarray, labels: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Predicted against observed rate in buckets of equal count."""
    order = np.argsort(p, kind="stable")
    out = []
    for chunk in np.array_split(order, min(bins, max(len(order), 1))):
        if len(chunk) == 0:
            continue
        out.append(
            {
                "n": len(chunk),
                "predicted": float(np.mean(p[chunk])),
                "observed": float(np.mean(labels[chunk])),
            }
        )
    return out
