"""The program's rules as plain functions over in-memory values: no query, no write.

Every path that moves points computes through them, so a rule exists once: the live purchase
and refund (loyalty.services.purchases), the other ledger writes (loyalty.services.ledger), the
tier checks (loyalty.services.tiers) and the bulk imports (loyalty.imports, members.imports),
which only write what these compute in batches of their own.

- `months`: calendar months on the program's wall clock.
- `expiry`: when points expire (rolling, inactivity).
- `credit`: the lot a credit makes, its dates, and the debt it pays first.
- `debit`: which lots a debit takes from, and the debt it leaves.
- `bonus`: an event bonus (sign-up, birthday, referral...): its points and snapshot.
- `refund`: what is left of a purchase after its refunds, and the points a refund takes back.
- `tiers`: the qualifying total, the tier it reaches, upgrades, reviews and refund withdrawals.

Scoring a purchase is `loyalty.scoring`.
"""
