"""Money in øre: prices include MVA, and the MVA is taken out of the gross amount.

Everything is an integer; rounding is half up, to the øre. An invoice's MVA per rate is the
gross of its lines less their net amounts, each line's net rounded once, so the lines, the
subtotals and the total add up exactly (as EHF's rules require) and the buyer pays the prices
shown.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal


def vat_in(gross: int, rate: int) -> int:
    """The MVA inside ``gross`` øre at ``rate`` percent, rounded half up."""
    if rate == 0 or gross == 0:
        return 0
    return (2 * gross * rate + 100 + rate) // (2 * (100 + rate))


def net_of(gross: int, rate: int) -> int:
    """``gross`` øre without its MVA."""
    return gross - vat_in(gross, rate)


def discounted(price: int, percent: int) -> int:
    """``price`` less ``percent`` %, rounded half up to the øre."""
    return (price * (100 - percent) * 2 + 100) // 200


@dataclass(frozen=True)
class VatGroup:
    rate: int
    net: int
    vat: int

    @property
    def gross(self) -> int:
        return self.net + self.vat


def vat_breakdown(lines: Iterable[tuple[int, int]]) -> list[VatGroup]:
    """MVA per rate for lines given as (gross øre, rate), highest rate first."""
    gross: dict[int, int] = {}
    net: dict[int, int] = {}
    for amount, rate in lines:
        gross[rate] = gross.get(rate, 0) + amount
        net[rate] = net.get(rate, 0) + net_of(amount, rate)
    return [
        VatGroup(rate, net[rate], gross[rate] - net[rate]) for rate in sorted(gross, reverse=True)
    ]


def kroner(ore: int) -> Decimal:
    """Øre as kroner with two decimals, for documents and exports."""
    return (Decimal(ore) / 100).quantize(Decimal("0.01"))
