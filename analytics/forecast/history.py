"""From purchases to what the models read: per customer, in days.

The input is one row per customer and day with a purchase: the day (any integer day number, e.g.
a date's ordinal), how many counted purchases were made that day and their amount. Each customer
gets their purchases and purchase days, the first and the last purchase day and their age, which
is what the purchase models' (x, t_x, T) are made of (analytics.forecast.model says which counts
what), and the amount of their purchases, for the order-value model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DailyPurchases:
    """Rows (customer, day, purchases, amount): one per customer and day with a purchase.
    `customer` is an index 0..n-1 into the caller's list of customers."""

    customer: np.ndarray
    day: np.ndarray
    purchases: np.ndarray
    amount: np.ndarray

    @classmethod
    def from_rows(cls, customer, day, purchases, amount) -> DailyPurchases:
        return cls(
            customer=np.asarray(customer, dtype=np.int64),
            day=np.asarray(day, dtype=np.int64),
            purchases=np.asarray(purchases, dtype=np.int64),
            amount=np.asarray(amount, dtype=float),
        )

    @classmethod
    def aggregate(cls, customer, day, amount) -> DailyPurchases:
        """From one row per purchase (the amount net of refunds, > 0): one row per customer
        and day."""
        customer = np.asarray(customer, dtype=np.int64)
        day = np.asarray(day, dtype=np.int64)
        amount = np.asarray(amount, dtype=float)
        keys, inverse = np.unique(np.column_stack([customer, day]), axis=0, return_inverse=True)
        inverse = inverse.ravel()
        return cls(
            customer=keys[:, 0],
            day=keys[:, 1],
            purchases=np.bincount(inverse, minlength=len(keys)),
            amount=np.bincount(inverse, weights=amount, minlength=len(keys)),
        )

    def until(self, last_day: int) -> DailyPurchases:
        keep = self.day <= last_day
        return DailyPurchases(
            self.customer[keep], self.day[keep], self.purchases[keep], self.amount[keep]
        )

    def between(self, first_day: int, last_day: int) -> DailyPurchases:
        keep = (self.day >= first_day) & (self.day <= last_day)
        return DailyPurchases(
            self.customer[keep], self.day[keep], self.purchases[keep], self.amount[keep]
        )


@dataclass(frozen=True)
class Histories:
    """Each customer's summary as of the end of `as_of_day`; the customers with no purchase by
    then have `active` False and are left out of fits and forecasts.

    recency (t_x): days from the first purchase day to the last; age (T): days from the first
    purchase day to `as_of_day`; purchases and amount: every counted purchase, the first day's
    included; days: the days with a purchase."""

    active: np.ndarray
    recency: np.ndarray
    age: np.ndarray
    purchases: np.ndarray
    days: np.ndarray
    amount: np.ndarray
    as_of_day: int

    @classmethod
    def of(cls, daily: DailyPurchases, *, customers: int, as_of_day: int) -> Histories:
        daily = daily.until(as_of_day)
        c = daily.customer
        days = np.bincount(c, minlength=customers)
        first = np.full(customers, as_of_day, dtype=np.int64)
        np.minimum.at(first, c, daily.day)
        last = first.copy()
        np.maximum.at(last, c, daily.day)
        active = days > 0
        return cls(
            active=active,
            recency=(last - first).astype(float),
            age=(as_of_day - first).astype(float),
            purchases=np.bincount(c, weights=daily.purchases, minlength=customers),
            days=days.astype(float),
            amount=np.bincount(c, weights=daily.amount, minlength=customers),
            as_of_day=as_of_day,
        )

    def select(self, keep: np.ndarray) -> Histories:
        return Histories(
            active=self.active[keep],
            recency=self.recency[keep],
            age=self.age[keep],
            purchases=self.purchases[keep],
            days=self.days[keep],
            amount=self.amount[keep],
            as_of_day=self.as_of_day,
        )


def purchases_between(daily: DailyPurchases, *, customers: int, first_day: int, last_day: int):
    """Each customer's counted purchases on days first_day..last_day (both included)."""
    window = daily.between(first_day, last_day)
    return np.bincount(window.customer, weights=window.purchases, minlength=customers)
