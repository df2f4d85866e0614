"""The Pareto/NBD model of repeat purchases (Schmittlein, Morrison & Colombo 1987), fitted by
maximum likelihood.

While alive, a customer buys as a Poisson process of rate lambda ~ Gamma(r, alpha); their lifetime
is exponential of rate mu ~ Gamma(s, beta), whether they buy or not. Unlike BG/NBD, where only a
purchase is a chance to drop out, a customer who never came back after the first purchase can have
dropped out too: their P(alive) falls with time, which is what a churn-risk group needs.

The likelihood (Fader & Hardie 2005, "A Note on Deriving the Pareto/NBD Model") is

    L = Γ(r+x) alpha^r beta^s / Γ(r) · [ (alpha+T)^-(r+x) (beta+T)^-s  +  s · I ],
    I = ∫_{t_x}^{T} (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau,

the second term being "dropped out at tau, between the last purchase and T". The published closed
form of I goes through 2F1 with a first parameter r+s+x that grows with the customer's purchases
and z near 1, where it loses precision. Here I is computed by Gauss-Legendre quadrature after the
change of variable y = ((alpha+tau)/(alpha+t_x))^-(r+s+x), which absorbs the power-law decay: the
integrand left, ((beta+tau)/(alpha+tau))^-(s+1), is smooth and bounded, and 16 nodes give log I
within 1e-5 of an adaptive quadrature for x up to 200 (tests/analytics). Everything stays in logs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from analytics.forecast.bgnbd import distinct_rows
from analytics.forecast.optimum import maximise

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(16)


@dataclass(frozen=True)
class ParetoNbd:
    r: float
    alpha: float
    s: float
    beta: float

    def as_dict(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "s": self.s, "beta": self.beta}


def _dropout_nodes(params: ParetoNbd, x: np.ndarray, t_x: np.ndarray, T: np.ndarray):
    """log I (see the module's docstring), -inf where t_x = T (no time to drop out in); and the
    quadrature's nodes tau and their weights (rows summing to 1) in the integral, for averages
    over the time of dropping out."""
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    k = r + s + x
    log_y_end = -k * (np.log(alpha + T) - np.log(alpha + t_x))
    y_end = np.exp(log_y_end)
    half = -np.expm1(log_y_end) / 2  # (1 - y_end) / 2, exact when y_end is close to 1
    y = y_end[:, None] + half[:, None] * (_NODES[None, :] + 1)
    tau = (alpha + t_x)[:, None] * np.exp(-np.log(np.maximum(y, 1e-300)) / k[:, None]) - alpha
    rest = np.exp(-(s + 1) * (np.log(beta + tau) - np.log(alpha + tau))) * _WEIGHTS
    inner = rest.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_integral = np.log(half * inner)
        shares = rest / inner[:, None]
    log_i = np.where(t_x < T, -k * np.log(alpha + t_x) - np.log(k) + log_integral, -np.inf)
    return log_i, tau, shares


def _log_dropout_integral(
    params: ParetoNbd, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    return _dropout_nodes(params, x, t_x, T)[0]


def log_likelihood(params: ParetoNbd, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Each customer's log-likelihood."""
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    x, t_x, T = (np.asarray(a, dtype=float) for a in (x, t_x, T))
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    dropped = np.log(s) + _log_dropout_integral(params, x, t_x, T)
    return common + np.logaddexp(alive, dropped)


def _log_likelihood_gradient(
    params: ParetoNbd, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The log-likelihood and its gradient in (r, alpha, s, beta). The derivative of log I is
    the average over the dropout time tau of the integrand's log-derivative, on the same nodes:
    -log(alpha+tau), -(r+x)/(alpha+tau), -log(beta+tau), -(s+1)/(beta+tau)."""
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    x, t_x, T = (np.asarray(a, dtype=float) for a in (x, t_x, T))
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    log_i, tau, shares = _dropout_nodes(params, x, t_x, T)
    dropped = np.log(s) + log_i
    both = np.logaddexp(alive, dropped)
    w_alive = np.exp(alive - both)
    w_dropped = np.exp(dropped - both)
    can_drop = t_x < T
    shares = np.where(can_drop[:, None], shares, 0.0)

    def mean(values: np.ndarray) -> np.ndarray:
        return (shares * values).sum(axis=1)

    grad = np.empty((len(x), 4))
    grad[:, 0] = (
        special.digamma(r + x)
        - special.digamma(r)
        + np.log(alpha)
        - w_alive * np.log(alpha + T)
        - w_dropped * mean(np.log(alpha + tau))
    )
    grad[:, 1] = r / alpha - (r + x) * (w_alive / (alpha + T) + w_dropped * mean(1 / (alpha + tau)))
    grad[:, 2] = (
        np.log(beta) - w_alive * np.log(beta + T) + w_dropped * (1 / s - mean(np.log(beta + tau)))
    )
    grad[:, 3] = s / beta - w_alive * s / (beta + T) - w_dropped * (s + 1) * mean(1 / (beta + tau))
    return common + both, grad


def fit(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> ParetoNbd:
    """Maximum-likelihood parameters, optimised over their logs by L-BFGS-B with the gradient
    (analytics.forecast.optimum), over the distinct (x, t_x, T) weighted by their counts."""
    (ux, ut, uT), weights, _ = distinct_rows(x, t_x, T)
    if weights.sum() == 0:
        raise ValueError("no customers to fit")

    def log_likelihood_gradient(theta: np.ndarray):
        return _log_likelihood_gradient(ParetoNbd(*np.exp(theta)), ux, ut, uT)

    scale = max(float(np.mean(uT)), 1e-3)
    start = np.log([1.0, scale, 1.0, scale])
    bounds = [(-12.0, 12.0), (-12.0, 18.0), (-12.0, 12.0), (-12.0, 18.0)]
    return ParetoNbd(*np.exp(maximise(log_likelihood_gradient, weights, start, bounds)))


def p_alive(params: ParetoNbd, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(still alive at T | x, t_x, T) = 1 / (1 + s (alpha+T)^(r+x) (beta+T)^s I)."""
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    x, t_x, T = (np.asarray(a, dtype=float) for a in (x, t_x, T))
    log_odds = (
        (r + x) * np.log(alpha + T)
        + s * np.log(beta + T)
        + np.log(s)
        + _log_dropout_integral(params, x, t_x, T)
    )
    return special.expit(-log_odds)


def expected_purchases(
    params: ParetoNbd, t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T]
    = P(alive) · (r+x)/(alpha+T) · (beta+T)/(s-1) · [1 - ((beta+T)/(beta+T+t))^(s-1)],
    with its limit (r+x)/(alpha+T) · (beta+T) · log(1 + t/(beta+T)) at s = 1."""
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    x, t_x, T = (np.asarray(a, dtype=float) for a in (x, t_x, T))
    log_growth = np.log1p(t / (beta + T))
    if abs(s - 1) < 1e-9:
        return (r + x) / (alpha + T) * (beta + T) * log_growth * p_alive(params, x, t_x, T)
    horizon = -np.expm1(-(s - 1) * log_growth) / (s - 1)
    return (r + x) / (alpha + T) * (beta + T) * horizon * p_alive(params, x, t_x, T)
