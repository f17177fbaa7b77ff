"""Organisation numbers and channels are validated as the domain says."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from surveys.models.catalog import validate_channels, validate_org_number

MOD11_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def reference_is_valid(number: str) -> bool:
    """Brønnøysund's rule, written out independently of python-stdnum."""
    if len(number) != 9 or not number.isdigit():
        return False
    remainder = sum(int(d) * w for d, w in zip(number[:8], MOD11_WEIGHTS, strict=True)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    return check != 10 and check == int(number[8])


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_org_number_validation_matches_the_mod11_rule(number: str) -> None:
    try:
        validate_org_number(number)
        valid = True
    except ValidationError:
        valid = False
    assert valid == reference_is_valid(number)


@pytest.mark.parametrize("number", ["923609016", "974760673", "985399077"])
def test_real_published_org_numbers_are_valid(number: str) -> None:
    validate_org_number(number)


@pytest.mark.parametrize("number", ["", "12345678", "1234567890", "92360901A", " 923609016"])
def test_malformed_org_numbers_are_refused(number: str) -> None:
    with pytest.raises(ValidationError):
        validate_org_number(number)


@pytest.mark.parametrize("channels", [["phone", "phone"], ["fax"], "phone", [1]])
def test_bad_channel_lists_are_refused(channels: object) -> None:
    with pytest.raises(ValidationError):
        validate_channels(channels)
