"""Customer-base forecasting: how many purchases each customer will make over a horizon, the
probability they are still a customer, and what their purchases will be worth (ANALYTICS.md,
"The forecast"). Plain numpy and scipy over arrays, nothing of Django: analytics.services reads
the purchases and stores the results.

- analytics.forecast.bgnbd, analytics.forecast.pareto_nbd: purchase models (fit, log_likelihood,
  p_alive, expected_purchases), in days;
- analytics.forecast.gamma_gamma: order value;
- analytics.forecast.history: purchases into (x, t_x, T) and the rest;
- analytics.forecast.model: the forecast that combines them, and its holdout error.
"""
