"""A check for the schemathesis run of tests/api/test_schemathesis.py (loaded by `st` through
SCHEMATHESIS_HOOKS, outside Django).

Some well-formed input is still refused by a business rule no JSON Schema can state (items worth
more than the amount, a currency other than the program's). The run lets a schema-valid request
answer 400 only when its `code` is one of the rules the operation's 400 answer lists
(`config.api.schema.rule_refusals`); any other 400 on schema-valid input fails, as schemathesis's
own `positive_data_acceptance` would.
"""

import json
import re

import schemathesis

RULES_PREFIX = "or refused by a rule:"  # config.api.schema.RULES_PREFIX; a test keeps them equal


def declared_rules(operation_definition: dict) -> set[str]:
    description = operation_definition.get("responses", {}).get("400", {}).get("description", "")
    _, found, rules = description.partition(RULES_PREFIX)
    return set(re.findall(r"`([a-z_]+)`", rules)) if found else set()


@schemathesis.check
def refusals_are_declared_rules(ctx, response, case):
    meta = case.meta
    if response.status_code != 400 or meta is None or not meta.generation.mode.is_positive:
        return None
    try:
        code = json.loads(response.content).get("code")
    except (ValueError, AttributeError):
        code = None
    rules = declared_rules(case.operation.definition.raw)
    if code not in rules:
        declared = ", ".join(sorted(rules)) or "none"
        raise AssertionError(
            f"Schema-valid input refused with 400 `{code}` (rules this operation declares: "
            f"{declared}): {response.content[:500]!r}"
        )
    return None
