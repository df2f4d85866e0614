"""Currencies: which ISO 4217 codes a program may use, and how many decimals each one has.

Amounts are `Decimal`, quantized to the currency's minor unit; a float never holds money.
"""

import functools
import re
from decimal import Decimal

from django.utils.translation import get_language

from config.numbers import number_text

# Active ISO 4217 currencies with their minor units (ISO 4217 amendment list, 2024). Precious
# metals, fund and testing codes (XAU, XDR, XTS, XXX...) are left out: a loyalty program is priced
# in money a customer pays with. Codes withdrawn from circulation (HRK, CUC, SLL, ZWL) are refused.
_ZERO_DECIMALS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"
_FOUR_DECIMALS = "CLF UYW"
_TWO_DECIMALS = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD "
    "FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD "
    "KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD "
    "NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP "
    "SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED "
    "VES WST XCD XCG YER ZAR ZMW ZWG"
)

CURRENCY_DECIMALS: dict[str, int] = {
    **dict.fromkeys(_TWO_DECIMALS.split(), 2),
    **dict.fromkeys(_ZERO_DECIMALS.split(), 0),
    **dict.fromkeys(_THREE_DECIMALS.split(), 3),
    **dict.fromkeys(_FOUR_DECIMALS.split(), 4),
}


def is_currency(code: str) -> bool:
    return code in CURRENCY_DECIMALS


def currency_decimals(code: str) -> int:
    """Digits after the decimal point for `code` (KeyError for an unknown currency)."""
    return CURRENCY_DECIMALS[code]


def currency_quantum(code: str) -> Decimal:
    """The smallest amount of `code`: Decimal("0.01") for EUR, Decimal("1") for JPY."""
    return Decimal(1).scaleb(-currency_decimals(code))


def money_quantize(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(currency_quantum(currency))


# A plain decimal as a person or a till writes it: digits, optionally a point and more digits.
# No sign, exponent ("1e5"), spaces, thousands separators, "NaN" or "Infinity": Decimal() takes
# all of those, and "1e5" is how a careless or hostile client turns 1 into 100,000.
_PLAIN_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def decimal_plain(text: str) -> Decimal | None:
    """`text` as a Decimal when it is written as a plain decimal number ("54.90", "12");
    None for anything else."""
    if type(text) is not str or not _PLAIN_DECIMAL.fullmatch(text):
        return None
    return Decimal(text)


# A shop's program names its currency; this is the one default, for a program file that does not
# and for pages shown before any program exists.
DEFAULT_CURRENCY = "EUR"

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}


# Scoring calls it a dozen times a purchase, mostly with the program's own values (a tier's
# multiplier, a bonus's points); the text depends on the value alone (2, 2.0 and 2.00 are "2").
@functools.lru_cache(maxsize=4096)
def decimal_text(value: Decimal) -> str:
    """Exact, without exponent or trailing zeros: Decimal("54.900") -> "54.9", Decimal("2.0")
    -> "2" (how quantities and the scoring breakdown are stored)."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def money_text(amount, currency: str) -> str:
    """An amount in the language's format: €12.50 in English, 12,50 € in Spanish and French."""
    number = number_text(amount, 2)
    symbol = CURRENCY_SYMBOLS.get(currency, currency)
    if (get_language() or "en").startswith("en") and len(symbol) == 1:
        return f"{symbol}{number}"
    return f"{number}\N{NO-BREAK SPACE}{symbol}"
