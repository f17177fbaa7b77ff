from awards.services.money import discounted, net_of, vat_breakdown, vat_in


def test_vat_is_taken_out_of_the_gross_price() -> None:
    assert vat_in(125_00, 25) == 25_00
    assert net_of(2490_00, 25) == 1992_00
    assert vat_in(1, 25) == 0  # 0.2 øre rounds down
    assert vat_in(3, 25) == 1  # 0.6 øre rounds up
    assert vat_in(1000_00, 0) == 0


def test_breakdown_per_rate_adds_up_to_the_gross_exactly() -> None:
    lines = [(333_33, 25), (333_33, 25), (100_00, 15), (50_00, 0)]
    groups = vat_breakdown(lines)
    assert [g.rate for g in groups] == [25, 15, 0]
    assert sum(g.gross for g in groups) == sum(amount for amount, _rate in lines)
    assert groups[0].vat == 666_66 - groups[0].net
    assert abs(groups[0].vat - round(groups[0].net * 0.25)) <= 1


def test_a_discount_rounds_half_up_to_the_ore() -> None:
    assert discounted(2490_00, 100) == 0
    assert discounted(2490_00, 50) == 1245_00
    assert discounted(101, 50) == 51
