"""Maximum likelihood the same way for every model: the parameters' logs (or log(q - 1)) are
optimised, so every parameter stays positive; L-BFGS-B with the analytic gradient does the work,
and should its line search give up short of the optimum, L-BFGS-B with finite differences and
then Nelder-Mead finish from where it stopped. Non-finite values (a parameter at the edge of
what floats hold) are read as a very bad fit, so the search turns back from them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import optimize

_BAD = 1e10


def maximise(
    log_likelihood_gradient: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    weights: np.ndarray,
    start: np.ndarray,
    bounds: list[tuple[float, float]],
) -> np.ndarray:
    """The theta maximising Σ weights · log-likelihood. `log_likelihood_gradient(theta)` gives
    each row's log-likelihood and its gradient in the parameters themselves (one column each);
    parameter i is exp(theta[i]) or 1 + exp(theta[i]): its derivative in theta[i] is
    exp(theta[i]) either way."""
    total = float(weights.sum())

    def value_gradient(theta: np.ndarray) -> tuple[float, np.ndarray]:
        with np.errstate(all="ignore"):
            ll, grad = log_likelihood_gradient(theta)
            value = -float(weights @ ll) / total
            gradient = -(weights @ grad) / total * np.exp(theta)
        if not np.isfinite(value) or not np.isfinite(gradient).all():
            return _BAD, np.zeros_like(theta)
        return value, gradient

    def value_only(theta: np.ndarray) -> float:
        return value_gradient(theta)[0]

    result = optimize.minimize(value_gradient, start, jac=True, method="L-BFGS-B", bounds=bounds)
    if not result.success:
        result = optimize.minimize(value_only, result.x, method="L-BFGS-B", bounds=bounds)
    if not result.success:
        result = optimize.minimize(
            value_only, result.x, method="Nelder-Mead", options={"maxiter": 4000, "xatol": 1e-7}
        )
    return result.x
