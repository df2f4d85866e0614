"""The demo's forecast: fitted on the demo's purchase history when it is loaded, so `make run`
shows the forecast page and segments can use churn risk at once (the scheduler refits it every
Monday, README "The forecast")."""

from analytics.services import forecast_refit


def load() -> list[tuple[str, str, str]]:
    forecast_refit()
    return []
