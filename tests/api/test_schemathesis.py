"""schemathesis over the schema the server serves: every phase, every check, a real key and real
data, so the schema keeps describing exactly what the API does (issue 11).

The run is deterministic (a fixed seed, a few examples per operation) and fails on any finding;
its report is printed. Two settings say what the API refuses that JSON Schema cannot state:
no NUL in any text (PostgreSQL cannot store it; the API answers 400, README "Errors") and
no lone surrogate (not Unicode), and a 400 on well-formed input must be one of the business
rules the operation declares (tests/api/schemathesis_checks.py).
"""

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from config.api.schema import RULES_PREFIX
from loyalty.services.purchases import purchase_record
from tests.api import schemathesis_checks
from tests.factories.api import ApiKeyFactory
from tests.factories.ledger import MemberFactory, program_version_create
from tests.factories.rewards import RewardFactory, redemption_create

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_PER_OPERATION = 10
SEED = 1


def _toml_list(values) -> str:
    return "[" + ", ".join(f'"{value}"' for value in values) + "]"


def _config(*, members, purchases, rewards, vouchers, redemptions) -> str:
    bound = {
        "members": ["path.member_number", "query.member_number", "body.member_number"],
        "purchases": ["path.external_id"],
        "rewards": ["body.reward"],
        "vouchers": ["path.code"],
        "redemptions": ["path.redemption_id"],
    }
    values = {
        "members": members,
        "purchases": purchases,
        "rewards": rewards,
        "vouchers": vouchers,
        "redemptions": redemptions,
    }
    lines = [
        f"seed = {SEED}",
        # Two at once: the run waits on the server more than it works (half the time with
        # two; four hit a race in schemathesis's schema cache).
        "workers = 2",
        # No state kept between runs (schemathesis would replay old crashes from .schemathesis/).
        "[cache]",
        "enabled = false",
        "[generation]",
        f"max-examples = {EXAMPLES_PER_OPERATION}",
        "allow-x00 = false",
        'codec = "utf-8"',
        "deterministic = true",
        'database = "none"',
        "[checks.positive_data_acceptance]",
        'expected-statuses = ["2xx", "3xx", 400, 401, 403, 404, 409, 429, "5xx"]',
    ]
    for name, entries in values.items():
        lines += [f"[dictionaries.{name}]", f"values = {_toml_list(entries)}"]
    lines.append("[parameters]")
    for name, keys in bound.items():
        lines += [f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}' for key in keys]
    return "\n".join(lines) + "\n"


def test_the_checks_read_the_rules_as_the_schema_writes_them():
    assert schemathesis_checks.RULES_PREFIX == RULES_PREFIX
    described = {"responses": {"400": {"description": f"Invalid input, {RULES_PREFIX} `a_b`."}}}
    assert schemathesis_checks.declared_rules(described) == {"a_b"}
    assert schemathesis_checks.declared_rules({"responses": {"400": {}}}) == set()


@pytest.mark.django_db(transaction=True)
def test_the_served_schema_holds_under_schemathesis(live_server, tmp_path):
    program_version_create()
    members = [MemberFactory() for _ in range(3)]
    purchases = [
        purchase_record(
            member_number=members[0].member_number,
            external_id=f"st-{n}",
            amount=Decimal("120.00"),
            currency="EUR",
            purchased_at=timezone.now(),
            channel="store",
            items=[],
        )[0]
        for n in range(2)
    ]
    rewards = [RewardFactory(points_cost=50), RewardFactory(points_cost=80)]
    redemptions = [redemption_create(members[1], reward) for reward in rewards]
    key = ApiKeyFactory()
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        _config(
            members=[member.member_number for member in members],
            purchases=[purchase.external_id for purchase in purchases],
            rewards=[reward.code for reward in rewards],
            vouchers=[redemption.voucher.code for redemption in redemptions],
            redemptions=[redemption.public_id for redemption in redemptions],
        )
    )
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(config),
        "run",
        f"{live_server.url}/api/schema/",
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {key.raw_key}",
        "--no-color",
    ]
    environment = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_checks"}
    run = subprocess.run(  # noqa: S603 - our own tool, our own arguments
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    selected = re.search(r"Selected: (\d+)/(\d+)", report)
    assert selected, report
    assert selected[1] == selected[2], report
    assert f"Tested: {selected[1]}" in report, report
