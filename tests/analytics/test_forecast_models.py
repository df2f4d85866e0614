"""The models against their published fits on the standard CDNOW sample (2,357 customers, weeks,
calibrated to 1997-09-30): BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy
Way": r 0.243, alpha 4.414, a 0.793, b 2.426, LL -9582.4), Pareto/NBD (the same paper's
comparison and Fader & Hardie's notes: r 0.553, alpha 10.578, s 0.606, beta 11.669, LL -9595.0) and
Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV": p 6.25, q 3.74, gamma 15.44)."""

import numpy as np
import pytest
from scipy import integrate, special

from analytics.forecast import bgnbd, gamma_gamma, pareto_nbd
from tests.analytics import cdnow


@pytest.fixture(scope="module")
def sample():
    return cdnow.sample_summary()


def test_bgnbd_finds_the_published_parameters(sample):
    fitted = bgnbd.fit(*sample)

    assert fitted.r == pytest.approx(0.243, abs=0.001)
    assert fitted.alpha == pytest.approx(4.414, abs=0.005)
    assert fitted.a == pytest.approx(0.793, abs=0.002)
    assert fitted.b == pytest.approx(2.426, abs=0.005)
    assert bgnbd.log_likelihood(fitted, *sample).sum() == pytest.approx(-9582.4, abs=0.1)


def test_bgnbd_conditional_figures_of_a_known_customer():
    # FHL 2005's published parameters; a customer with 2 repeat purchases, the last at week
    # 30.43, seen for 38.86 weeks, over the next 39 weeks (the figure lifetimes documents).
    params = bgnbd.BgNbd(r=0.242594, alpha=4.413532, a=0.792919, b=2.425948)
    one = (np.array([2.0]), np.array([30.43]), np.array([38.86]))

    assert bgnbd.expected_purchases(params, 39, *one)[0] == pytest.approx(1.2259, abs=1e-3)
    assert bgnbd.p_alive(params, *one)[0] == pytest.approx(0.7266, abs=1e-3)
    # Nobody without a repeat purchase has dropped out under BG/NBD.
    assert bgnbd.p_alive(params, np.zeros(1), np.zeros(1), np.array([38.86]))[0] == 1.0


@pytest.mark.parametrize("x", [0, 1, 7, 60, 300])
def test_bgnbd_euler_form_equals_the_papers(x):
    params = bgnbd.BgNbd(r=0.25, alpha=33.6, a=0.72, b=2.16)
    t, T = 273.0, 272.0
    z = t / (params.alpha + T + t)
    r, a, b = params.r, params.a, params.b
    papers = ((params.alpha + T) / (params.alpha + T + t)) ** (r + x) * special.hyp2f1(
        r + x, b + x, a + b + x - 1, z
    )
    euler = (1 - z) ** (a - 1) * special.hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)

    assert euler == pytest.approx(papers, rel=1e-9)


def test_bgnbd_new_customers_expectation_is_the_conditional_one_at_zero():
    params = bgnbd.BgNbd(r=0.25, alpha=33.6, a=0.72, b=2.16)
    new = bgnbd.expected_purchases_new(params, np.array([273.0]))[0]
    # At T = 0 nothing is known yet: the conditional expectation is the unconditional one.
    assert bgnbd.expected_purchases(params, 273.0, np.zeros(1), np.zeros(1), np.zeros(1))[
        0
    ] == pytest.approx(new, rel=1e-9)


def test_pareto_nbd_finds_the_published_parameters(sample):
    fitted = pareto_nbd.fit(*sample)

    assert fitted.r == pytest.approx(0.553, abs=0.003)
    assert fitted.alpha == pytest.approx(10.578, abs=0.03)
    assert fitted.s == pytest.approx(0.606, abs=0.003)
    assert fitted.beta == pytest.approx(11.669, abs=0.05)
    assert pareto_nbd.log_likelihood(fitted, *sample).sum() == pytest.approx(-9595.0, abs=0.1)


@pytest.mark.parametrize(
    ("x", "t_x", "T"),
    [(0, 0, 272), (1, 3, 250), (5, 100, 272), (50, 200, 272), (200, 250, 272), (3, 10, 11)],
)
def test_pareto_nbd_dropout_integral_matches_adaptive_quadrature(x, t_x, T):
    params = pareto_nbd.ParetoNbd(r=0.6, alpha=81.3, s=0.52, beta=62.0)
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    ref = -(r + x) * np.log(alpha + t_x) - (s + 1) * np.log(beta + t_x)
    scaled, _ = integrate.quad(
        lambda tau: np.exp(-(r + x) * np.log(alpha + tau) - (s + 1) * np.log(beta + tau) - ref),
        t_x,
        T,
        epsabs=0,
        epsrel=1e-12,
        limit=500,
    )
    found = pareto_nbd._log_dropout_integral(
        params, np.array([x], float), np.array([t_x], float), np.array([T], float)
    )[0]

    assert found == pytest.approx(np.log(scaled) + ref, abs=1e-4)


def test_pareto_nbd_one_time_buyers_fade_and_expectations_are_consistent():
    params = pareto_nbd.ParetoNbd(r=0.6, alpha=81.3, s=0.52, beta=62.0)
    ages = np.array([10.0, 100.0, 400.0])
    alive = pareto_nbd.p_alive(params, np.zeros(3), np.zeros(3), ages)

    assert alive[0] > alive[1] > alive[2] > 0
    # Bought on the last day: alive for sure.
    assert pareto_nbd.p_alive(params, np.ones(1), np.array([50.0]), np.array([50.0]))[0] == 1.0
    # s = 1 is the limit of s → 1.
    near = pareto_nbd.ParetoNbd(r=0.6, alpha=81.3, s=1 + 1e-6, beta=62.0)
    at_one = pareto_nbd.ParetoNbd(r=0.6, alpha=81.3, s=1.0, beta=62.0)
    one = (np.array([3.0]), np.array([40.0]), np.array([90.0]))
    assert pareto_nbd.expected_purchases(at_one, 100.0, *one)[0] == pytest.approx(
        pareto_nbd.expected_purchases(near, 100.0, *one)[0], rel=1e-5
    )


def test_gamma_gamma_finds_the_published_parameters():
    x, zbar = cdnow.sample_order_values()
    fitted = gamma_gamma.fit(x, zbar)

    assert fitted.p == pytest.approx(6.25, abs=0.01)
    assert fitted.q == pytest.approx(3.74, abs=0.01)
    assert fitted.gamma == pytest.approx(15.44, abs=0.02)
    # The population's mean, and a customer's expectation between it and their own mean.
    assert fitted.mean == pytest.approx(15.44 * 6.25 / 2.74, rel=0.01)
    value = gamma_gamma.expected_order_value(fitted, np.array([2.0, 0.0]), np.array([100.0, 0]))
    assert fitted.mean < value[0] < 100
    assert value[1] == pytest.approx(fitted.mean)


def test_bgnbd_recovers_simulated_parameters():
    """Simulated in days: 20,000 customers from r 0.5, alpha 60, a 0.8, b 3, seen 400 days."""
    rng = np.random.default_rng(7)
    n, T = 20_000, 400.0
    lam = rng.gamma(0.5, 1 / 60, n)
    p = rng.beta(0.8, 3.0, n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    now = np.zeros(n)
    alive = np.ones(n, bool)
    while alive.any():
        now[alive] += rng.exponential(1 / lam[alive])
        bought = alive & (now <= T)
        x[bought] += 1
        t_x[bought] = now[bought]
        alive = bought & (rng.random(n) >= p)

    fitted = bgnbd.fit(x, t_x, np.full(n, T))

    assert fitted.r == pytest.approx(0.5, rel=0.1)
    assert fitted.alpha == pytest.approx(60, rel=0.15)
    assert fitted.a == pytest.approx(0.8, rel=0.25)
    assert fitted.b == pytest.approx(3.0, rel=0.3)


def _numeric_gradient(log_likelihood, params, cls, *data):
    values = np.array(list(params.as_dict().values()))
    columns = []
    for i in range(len(values)):
        step = 1e-6 * values[i]
        up, down = values.copy(), values.copy()
        up[i] += step
        down[i] -= step
        columns.append(
            (log_likelihood(cls(*up), *data) - log_likelihood(cls(*down), *data)) / (2 * step)
        )
    return np.column_stack(columns)


@pytest.mark.parametrize(
    ("module", "params"),
    [
        (bgnbd, bgnbd.BgNbd(r=0.3, alpha=30.0, a=0.8, b=2.5)),
        (pareto_nbd, pareto_nbd.ParetoNbd(r=0.6, alpha=80.0, s=0.5, beta=60.0)),
    ],
)
def test_the_purchase_models_gradients_are_their_likelihoods(module, params):
    rng = np.random.default_rng(3)
    x = rng.integers(0, 20, 60).astype(float)
    T = rng.uniform(10, 300, 60)
    t_x = np.where(x > 0, rng.uniform(0, 1, 60) * T, 0.0)
    t_x[:3] = T[:3]  # bought on the last day
    ll, gradient = module._log_likelihood_gradient(params, x, t_x, T)

    assert ll == pytest.approx(module.log_likelihood(params, x, t_x, T))
    numeric = _numeric_gradient(module.log_likelihood, params, type(params), x, t_x, T)
    # Pareto/NBD's derivative of the dropout integral is its own quadrature: within 1e-4.
    assert np.abs(gradient - numeric).max() < 1e-3


def test_gamma_gammas_gradient_is_its_likelihoods():
    rng = np.random.default_rng(4)
    x = rng.integers(1, 20, 60).astype(float)
    m = rng.uniform(5, 100, 60)
    params = gamma_gamma.GammaGamma(p=6.0, q=3.7, gamma=15.0)
    _, gradient = gamma_gamma._log_likelihood_gradient(params, x, m)

    numeric = _numeric_gradient(gamma_gamma.log_likelihood, params, gamma_gamma.GammaGamma, x, m)
    assert np.abs(gradient - numeric).max() < 1e-5
