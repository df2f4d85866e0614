"""The BG/NBD model of repeat purchases (Fader, Hardie & Lee 2005, "Counting Your Customers the
Easy Way"), fitted by maximum likelihood.

While alive, a customer buys as a Poisson process of rate lambda ~ Gamma(r, alpha); after each
purchase they drop out with probability p ~ Beta(a, b). A customer is summarised by
(x, t_x, T): x repeat purchases, the last at t_x after the first, observed for T since the first.
Times are in whatever unit the caller chose (alpha is in that unit).

Everything is vectorised over the distinct (x, t_x, T) triples, weighted by how many customers
share each: on daily data that is a fraction of the customers, and the likelihood is a handful of
array operations per evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from analytics.forecast.optimum import maximise


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float

    def as_dict(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}


def distinct_rows(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """The distinct rows of the columns taken together, how many times each occurs, and for each
    input row the index of its distinct row."""
    stacked = np.column_stack([np.asarray(c, dtype=float) for c in columns])
    unique, inverse, counts = np.unique(stacked, axis=0, return_inverse=True, return_counts=True)
    return [unique[:, i] for i in range(unique.shape[1])], counts.astype(float), inverse.ravel()


def log_likelihood(params: BgNbd, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Each customer's log-likelihood, in logs throughout (gammaln, betaln, logaddexp) so that
    large x and T never overflow."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x = np.asarray(x, dtype=float)
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    still = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + T)
    dropped = np.full_like(still, -np.inf)
    repeat = x > 0
    xr = x[repeat]
    dropped[repeat] = (
        special.betaln(a + 1, b + xr - 1)
        - special.betaln(a, b)
        - (r + xr) * np.log(alpha + np.asarray(t_x, dtype=float)[repeat])
    )
    return common + np.logaddexp(still, dropped)


def _log_likelihood_gradient(
    params: BgNbd, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The log-likelihood and its gradient in (r, alpha, a, b), one row per customer: the
    derivatives of gammaln and betaln are digammas, and those of the log-sum-exp the two
    terms' derivatives weighted by their shares of the sum."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x = np.asarray(x, dtype=float)
    t_x = np.asarray(t_x, dtype=float)
    T = np.asarray(T, dtype=float)
    psi = special.digamma
    repeat = x > 0
    ll = log_likelihood(params, x, t_x, T)
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    still = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + T)
    w_still = np.exp(common + still - ll)
    w_dropped = np.where(repeat, 1.0 - w_still, 0.0)
    xm1 = np.where(repeat, x - 1, 0.0)
    grad = np.empty((len(x), 4))
    grad[:, 0] = (
        psi(r + x)
        - psi(r)
        + np.log(alpha)
        - w_still * np.log(alpha + T)
        - w_dropped * np.log(alpha + t_x)
    )
    grad[:, 1] = r / alpha - (r + x) * (w_still / (alpha + T) + w_dropped / (alpha + t_x))
    base_a = psi(a + b) - psi(a)
    base_b = psi(a + b) - psi(b)
    grad[:, 2] = (
        base_a + w_still * (psi(a) - psi(a + b + x)) + w_dropped * (psi(a + 1) - psi(a + b + x))
    )
    grad[:, 3] = (
        base_b
        + w_still * (psi(b + x) - psi(a + b + x))
        + w_dropped * (psi(b + xm1) - psi(a + b + x))
    )
    return ll, grad


def _start(T: np.ndarray) -> np.ndarray:
    # r = a = b = 1 and alpha at the scale of the observation: the optimum is within a few e-folds.
    return np.log([1.0, max(float(np.mean(T)), 1e-3), 1.0, 1.0])


def fit(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> BgNbd:
    """Maximum-likelihood parameters, optimised over their logs (all four are positive) by
    L-BFGS-B with the analytic gradient (analytics.forecast.optimum)."""
    (ux, ut, uT), weights, _ = distinct_rows(x, t_x, T)
    if weights.sum() == 0:
        raise ValueError("no customers to fit")

    def log_likelihood_gradient(theta: np.ndarray):
        return _log_likelihood_gradient(BgNbd(*np.exp(theta)), ux, ut, uT)

    bounds = [(-12.0, 12.0), (-12.0, 18.0), (-12.0, 12.0), (-12.0, 12.0)]
    theta = maximise(log_likelihood_gradient, weights, _start(uT), bounds)
    return BgNbd(*np.exp(theta))


def _death_odds(params: BgNbd, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """a / (b + x - 1) · ((alpha + T) / (alpha + t_x))^(r + x) for x > 0, 0 for x = 0: the odds
    that the customer dropped out after their last purchase, against still being alive."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x = np.asarray(x, dtype=float)
    odds = np.zeros_like(x)
    repeat = x > 0
    xr = x[repeat]
    log_odds = (
        np.log(a)
        - np.log(b + xr - 1)
        + (r + xr)
        * (np.log(alpha + np.asarray(T, dtype=float)[repeat]) - np.log(alpha + t_x[repeat]))
    )
    odds[repeat] = np.exp(np.minimum(log_odds, 700.0))
    return odds


def p_alive(params: BgNbd, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(still alive at T | x, t_x, T)."""
    return 1.0 / (1.0 + _death_odds(params, x, np.asarray(t_x, dtype=float), T))


def expected_purchases(
    params: BgNbd, t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T] (FHL 2005, eq. 10).

    The factor ((alpha+T)/(alpha+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x-1; z), z = t/(alpha+T+t), is
    computed through Euler's transformation as (1-z)^(a-1) · 2F1(a+b-1-r, a-1; a+b+x-1; z): the same
    value, but a series that converges fast for every x instead of one whose terms grow with x.
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x = np.asarray(x, dtype=float)
    T = np.asarray(T, dtype=float)
    c = a + b + x - 1
    z = t / (alpha + T + t)
    tail = (1 - z) ** (a - 1) * special.hyp2f1(a + b - 1 - r, a - 1, c, z)
    expected = c / (a - 1) * (1 - tail)
    return expected / (1.0 + _death_odds(params, x, np.asarray(t_x, dtype=float), T))


def expected_purchases_new(params: BgNbd, t: np.ndarray) -> np.ndarray:
    """E[X(t)] for a customer just acquired (FHL 2005, eq. 7)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    t = np.asarray(t, dtype=float)
    z = t / (alpha + t)
    return (
        (a + b - 1)
        / (a - 1)
        * (1 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1, z))
    )
