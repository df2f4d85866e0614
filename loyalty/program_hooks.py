"""Where the rewards app plugs into the program file.

The file's `rewards:` section is always parsed and validated here (schema, kinds, min_tier against
the file's tiers) and kept in each version's snapshot. Applying it to the catalog is the rewards
app's job. It registers a handler once, from its AppConfig.ready():

    from loyalty.program_hooks import rewards_handler_register

    rewards_handler_register(
        import_rewards=rewards.services.reward_catalog_import,   # (*, rewards, actor) -> None
        export_rewards=rewards.selectors.reward_catalog_export,  # () -> list[dict]
    )

- `import_rewards(*, rewards: tuple[RewardDefinition, ...], actor)` runs inside the import's
  transaction (raise to abort the whole import; raising `ProgramInvalid` reports its errors). It
  creates or updates each reward by code, never deletes one, and sets `stock` only on creation.
- `export_rewards()` returns the current catalog in the file's shape (the dicts `program_to_data`
  writes); export, diff and every published snapshot use it.

With no handler registered, the last imported `rewards:` section is stored on the program
(`Program.reward_catalog`, merged by code with the same create-or-update rules) so that export and
versions still carry it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RewardsHandler:
    import_rewards: Callable[..., None]
    export_rewards: Callable[[], list[dict[str, Any]]]


_handler: RewardsHandler | None = None


def rewards_handler_register(
    *, import_rewards: Callable[..., None], export_rewards: Callable[[], list[dict[str, Any]]]
) -> None:
    # A process-wide registry, set once at start-up by the rewards app.
    global _handler
    _handler = RewardsHandler(import_rewards=import_rewards, export_rewards=export_rewards)


def rewards_handler_unregister() -> None:
    global _handler
    _handler = None


def rewards_handler() -> RewardsHandler | None:
    return _handler
