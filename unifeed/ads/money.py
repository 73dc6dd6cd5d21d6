"""Money as Unifeed accepts it: ISO 4217 currencies and the bounds on amounts.

Every amount is an integer in the minor units of one currency (cents for
EUR, yen for JPY). A campaign has one currency; a value reported with a
result counts towards it only in that currency, since no exchange rate is
known here: an amount in another currency is never added to it.
"""

from __future__ import annotations


def _codes(text: str) -> list[str]:
    return text.split()


# Active ISO 4217 codes of legal tender (not funds codes such as USN or CLF,
# precious metals, SDRs or test codes), as of 2026, each with its number of
# minor-unit digits. Withdrawn codes (HRK, BGN, ANG, ZWL, SLL, CUC) are out.
CURRENCIES: dict[str, int] = {
    **dict.fromkeys(_codes("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"), 0),
    **dict.fromkeys(_codes("BHD IQD JOD KWD LYD OMR TND"), 3),
    **dict.fromkeys(
        _codes("""
        AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BRL BSD BTN
        BWP BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB
        EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR
        JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT
        MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP
        PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN
        SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VED VES WST
        XCD XCG YER ZAR ZMW ZWG
        """),
        2,
    ),
}

# The largest value one result (a purchase) may report, in minor units: ten
# million in a two-digit currency. It bounds what a single reported event can
# add to a campaign's return on spend; a real order above it is beyond what a
# feed app's ads sell, and a client that sends more gets a 422, not a credit.
MAX_RESULT_VALUE_MINOR = 10**9


def check_currency(code: str) -> str:
    """`code` if it is an ISO 4217 currency of legal tender, else ValueError."""
    if code not in CURRENCIES:
        raise ValueError(f"{code!r} is not an ISO 4217 currency code (e.g. EUR, USD, JPY)")
    return code
