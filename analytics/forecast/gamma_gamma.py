"""The Gamma-Gamma model of order value (Fader, Hardie & Lee 2005, "RFM and CLV"), fitted by
maximum likelihood.

Each order of a customer is worth z ~ Gamma(p, nu), with nu ~ Gamma(q, gamma) across customers; the
mean of a customer's x orders, m, is then Gamma(px, nux), and integrating nu out gives each
customer's likelihood of (x, m). The expected value of their next order is a weighted mean of the
population's, gammap/(q-1), and their own m, weighted more towards m the more orders they made.

Order value is assumed independent of purchase frequency (the model's premise): on CDNOW the
correlation of a customer's purchases and their mean order value is 0.07.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from analytics.forecast.bgnbd import distinct_rows
from analytics.forecast.optimum import maximise


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    gamma: float

    def as_dict(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "gamma": self.gamma}

    @property
    def mean(self) -> float:
        """The population's mean order value."""
        return self.gamma * self.p / (self.q - 1)


def log_likelihood(params: GammaGamma, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    p, q, gamma = params.p, params.q, params.gamma
    x = np.asarray(x, dtype=float)
    m = np.asarray(m, dtype=float)
    px = p * x
    return (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + m * x)
    )


def _log_likelihood_gradient(
    params: GammaGamma, x: np.ndarray, m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The log-likelihood and its gradient in (p, q, gamma)."""
    p, q, gamma = params.p, params.q, params.gamma
    psi = special.digamma
    px = p * x
    log_total = np.log(gamma + m * x)
    grad = np.empty((len(x), 3))
    grad[:, 0] = x * (psi(px + q) - psi(px) + np.log(m) + np.log(x) - log_total)
    grad[:, 1] = psi(px + q) - psi(q) + np.log(gamma) - log_total
    grad[:, 2] = q / gamma - (px + q) / (gamma + m * x)
    return log_likelihood(params, x, m), grad


def fit(x: np.ndarray, m: np.ndarray) -> GammaGamma:
    """Maximum-likelihood parameters from each customer's number of orders x ≥ 1 and their mean
    value m > 0. q is kept above 1 (q = 1 + e^θ) so that the population's mean is finite."""
    x = np.asarray(x, dtype=float)
    m = np.asarray(m, dtype=float)
    keep = (x > 0) & (m > 0)
    (ux, um), weights, _ = distinct_rows(x[keep], m[keep])
    if weights.sum() == 0:
        raise ValueError("no orders to fit")

    def params_of(theta: np.ndarray) -> GammaGamma:
        return GammaGamma(p=np.exp(theta[0]), q=1 + np.exp(theta[1]), gamma=np.exp(theta[2]))

    def log_likelihood_gradient(theta: np.ndarray):
        return _log_likelihood_gradient(params_of(theta), ux, um)

    start = np.array([0.0, 0.0, np.log(max(float(np.average(um, weights=weights)), 1e-6))])
    bounds = [(-10.0, 10.0), (-10.0, 10.0), (-15.0, 25.0)]
    return params_of(maximise(log_likelihood_gradient, weights, start, bounds))


def expected_order_value(params: GammaGamma, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """E[value of an order | x orders of mean m] = (gamma + m x) p / (p x + q - 1); the population's
    mean for x = 0."""
    p, q, gamma = params.p, params.q, params.gamma
    x = np.asarray(x, dtype=float)
    m = np.where(x > 0, np.asarray(m, dtype=float), 0.0)
    return (gamma + m * x) * p / (p * x + q - 1)
