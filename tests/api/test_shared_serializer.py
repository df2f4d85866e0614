"""A SharedSerializer answers exactly as a serializer made per request would."""

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from config.api.serializers import SharedSerializer
from loyalty.api.purchases import PurchaseInput, PurchaseOutput, purchase_input_plain


def per_request(serializer_class, data):
    """What the views did before: ('ok', validated_data) or ('error', errors)."""
    serializer = serializer_class(data=data)
    if serializer.is_valid():
        return "ok", serializer.validated_data
    return "error", serializer.errors


def shared(shared_serializer, data):
    try:
        return "ok", shared_serializer.validate(data)
    except serializers.ValidationError as exc:
        return "error", exc.detail


VALID = {
    "external_id": "store12-000981",
    "member_number": "1000000017",
    "amount": "54.90",
    "currency": "EUR",
    "purchased_at": "2026-12-08T10:05:00+01:00",
    "channel": "store",
    "items": [{"sku": "VINO-TINTO-75", "category": "wine", "quantity": 2, "unit_price": "12.50"}],
}

CASES = [
    VALID,
    {**VALID, "items": []},
    {key: value for key, value in VALID.items() if key != "items"},
    {**VALID, "amount": "54.9", "unknown": "ignored"},
    {**VALID, "amount": 54},
    {**VALID, "external_id": "  padded  "},
    {**VALID, "items": [{"quantity": "1.5", "unit_price": "3"}]},
    # Refused, each for its own reason:
    None,
    [],
    "text",
    {},
    {**VALID, "amount": "-1"},
    {**VALID, "amount": "1.234"},
    {**VALID, "amount": 1.5},
    {**VALID, "currency": "EURO"},
    {**VALID, "purchased_at": "2026-12-08T10:05:00"},
    {**VALID, "purchased_at": "yesterday"},
    {**VALID, "channel": "fax"},
    {**VALID, "external_id": ""},
    {**VALID, "external_id": None},
    {**VALID, "items": None},
    {**VALID, "items": "wine"},
    {**VALID, "items": [None]},
    {**VALID, "items": [{"quantity": 0, "unit_price": "1"}]},
    {**VALID, "items": [{"sku": "A", "unit_price": "1"}, {"quantity": "x", "unit_price": "1"}]},
]


@pytest.mark.parametrize("data", CASES)
def test_validate_matches_a_serializer_per_request(data):
    assert shared(SharedSerializer(PurchaseInput), data) == per_request(PurchaseInput, data)


def test_one_instance_serves_many_bodies_without_carrying_anything_over():
    purchase_input = SharedSerializer(PurchaseInput)
    first = purchase_input.validate(VALID)
    with pytest.raises(serializers.ValidationError):
        purchase_input.validate({**VALID, "amount": "-1"})
    second = purchase_input.validate({**VALID, "amount": "1.00", "items": []})

    assert first["amount"] == Decimal("54.90")
    assert first["items"][0]["sku"] == "VINO-TINTO-75"
    assert second["amount"] == Decimal("1.00")
    assert second["items"] == []
    assert purchase_input.instance is purchase_input.instance


def test_threads_sharing_one_instance_each_get_their_own_answer():
    purchase_input = SharedSerializer(PurchaseInput)
    results: dict[int, object] = {}

    def work(n, body):
        for _ in range(200):
            results[n] = shared(purchase_input, body)

    threads = []
    for n in range(8):
        body = {**VALID, "amount": f"{n + 1}.00"}
        if n % 2:
            body["channel"] = "fax"  # odd threads: refused, for the channel only
        threads.append(threading.Thread(target=work, args=(n, body)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    for n in range(8):
        outcome, value = results[n]
        if n % 2:
            assert outcome == "error"
            assert list(value) == ["channel"]
        else:
            assert outcome == "ok"
            assert value["amount"] == Decimal(f"{n + 1}.00")


# Bodies near the valid one: every field may be missing, of another type or out of range.
_field_values = {
    "external_id": st.one_of(st.text(max_size=110), st.integers(), st.none()),
    "member_number": st.one_of(st.text(max_size=15), st.none()),
    "amount": st.one_of(
        st.decimals(min_value=-10, max_value=10**11, places=3).map(str),
        st.integers(min_value=-5, max_value=10**11),
        st.floats(allow_nan=True),
        st.text(max_size=5),
    ),
    "currency": st.one_of(st.sampled_from(["EUR", "USD", "EU", " EUR", "EURO"]), st.integers()),
    "purchased_at": st.one_of(
        st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
        st.datetimes().map(datetime.isoformat),
        st.text(max_size=10),
    ),
    "channel": st.one_of(st.sampled_from(["store", "online", "app", "fax", ""]), st.none()),
    "items": st.one_of(
        st.lists(
            st.dictionaries(
                st.sampled_from(["sku", "category", "quantity", "unit_price", "other"]),
                st.one_of(
                    st.text(max_size=5),
                    st.integers(min_value=-2, max_value=10**10),
                    st.decimals(min_value=-1, max_value=10**10, places=4).map(str),
                    st.none(),
                ),
            ),
            max_size=3,
        ),
        st.none(),
        st.text(max_size=3),
    ),
}
_bodies = st.fixed_dictionaries({}, optional=_field_values)


@settings(max_examples=300, deadline=None)
@given(data=_bodies)
def test_validate_matches_a_serializer_per_request_on_any_body(data):
    assert shared(SharedSerializer(PurchaseInput), data) == per_request(PurchaseInput, data)


@pytest.mark.parametrize("status", ["pending", "available"])
def test_represent_matches_data(status):
    body = {
        "id": 7,
        "external_id": "store12-000981",
        "points": 163,
        "status": status,
        "available_on": datetime(2026, 12, 22, 9, 5, 0, 123456, tzinfo=UTC),
        "breakdown": [{"part": "base", "points": "54.9"}],
    }
    assert SharedSerializer(PurchaseOutput).represent(body) == PurchaseOutput(body).data


# --- purchase_input_plain: the body a till sends, without DRF's fields --------------------------


def canonical(value):
    """Values as the rest of the request sees them: Decimal('54.90') is not Decimal('54.9') (the
    purchase's fingerprint is made of their text), nor is a time in another zone the same."""
    if isinstance(value, dict):
        return {key: canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return (type(value).__name__, str(value), repr(getattr(value, "tzinfo", None)))


def assert_plain_agrees(data):
    plain = purchase_input_plain(data)
    if plain is None:
        return False
    outcome, validated = per_request(PurchaseInput, data)
    assert outcome == "ok", validated
    assert canonical(plain) == canonical(dict(validated))
    return True


PLAIN = [
    VALID,
    {**VALID, "items": []},
    {key: value for key, value in VALID.items() if key != "items"},
    {**VALID, "amount": "54.9"},
    {**VALID, "amount": "0.01"},
    {**VALID, "amount": "9999999999.99"},
    {**VALID, "purchased_at": "2026-12-08T10:05:00Z"},
    {**VALID, "purchased_at": "2026-12-08T10:05:00.123456-03:30"},
    {**VALID, "channel": "online"},
    {**VALID, "external_id": "a" * 100, "member_number": "1" * 13},
    {**VALID, "items": [{"quantity": "1.5", "unit_price": "3"}]},
    {**VALID, "items": [{"sku": "", "category": "", "quantity": 1, "unit_price": "0"}]},
    {**VALID, "items": [{"sku": "ÑAND Ú", "quantity": "0.001", "unit_price": "0.5"}]},
]


@pytest.mark.parametrize("data", PLAIN)
def test_plain_takes_a_tills_body_and_answers_what_the_serializer_answers(data):
    assert assert_plain_agrees(data) is True


@pytest.mark.parametrize("data", CASES)
def test_plain_never_answers_otherwise_than_the_serializer(data):
    assert_plain_agrees(data)


_digits = st.text("0123456789", min_size=1, max_size=12)
_near_plain_values = {
    "external_id": st.one_of(st.text(max_size=102), st.just("till-1")),
    "member_number": st.one_of(st.text(max_size=14), st.just("1000000017")),
    "amount": st.one_of(
        st.builds(lambda a, b: f"{a}.{b}", _digits, _digits), _digits, st.text(max_size=6)
    ),
    "currency": st.one_of(st.text(min_size=2, max_size=4), st.just("EUR")),
    "purchased_at": st.one_of(
        st.datetimes(timezones=st.timezones()).map(datetime.isoformat),
        st.datetimes().map(datetime.isoformat),
        st.builds(
            lambda m, d: f"2026-{m:02d}-{d:02d}T10:00:00+01:00",
            st.integers(0, 13),
            st.integers(0, 32),
        ),
    ),
    "channel": st.sampled_from(["store", "online", "app", "fax", " store", "STORE"]),
    "items": st.lists(
        st.fixed_dictionaries(
            {
                "quantity": st.one_of(
                    st.integers(-1, 10**10),
                    st.builds(lambda a, b: f"{a}.{b}", _digits, _digits),
                    _digits,
                    st.booleans(),
                ),
                "unit_price": st.one_of(st.builds(lambda a, b: f"{a}.{b}", _digits, _digits)),
            },
            optional={
                "sku": st.one_of(st.text(max_size=101), st.none()),
                "category": st.text(max_size=4),
                "other": st.just(1),
            },
        ),
        max_size=3,
    ),
}


def _mostly(valid, odd):
    """`valid` three times in four: bodies the plain path takes, with one odd value here and
    there, so both of its answers are exercised."""
    return st.one_of(valid, valid, valid, odd)


_near_plain_bodies = st.fixed_dictionaries(
    {
        "external_id": _mostly(st.just("till-1"), _near_plain_values["external_id"]),
        "member_number": _mostly(st.just("1000000017"), _near_plain_values["member_number"]),
        "amount": _mostly(_near_plain_values["amount"], st.floats()),
        "currency": _mostly(st.just("EUR"), _near_plain_values["currency"]),
        "purchased_at": _near_plain_values["purchased_at"],
        "channel": _mostly(st.just("store"), _near_plain_values["channel"]),
    },
    optional={"items": _near_plain_values["items"]},
)


@settings(max_examples=400, deadline=None)
@given(data=_near_plain_bodies)
def test_plain_never_answers_otherwise_than_the_serializer_on_any_body(data):
    assert_plain_agrees(data)


@settings(max_examples=200, deadline=None)
@given(data=_bodies)
def test_plain_never_answers_otherwise_than_the_serializer_on_odd_bodies(data):
    assert_plain_agrees(data)
