"""Full-width and other scripts' digits are read as the ASCII number they mean, everywhere a
person types a number: one company per organisation number, one KID, one phone number."""

import io

import pytest
from django.core.exceptions import ValidationError
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from awards.models import Order, OrderStatus
from awards.services import orders as order_services
from awards.services.invoices import bank_statement_import
from kundeservice.numbers import ascii_digits
from kundeservice.roles import Role
from surveys.answers import AnswerError, QuestionInfo, clean
from surveys.models import Company
from surveys.services.catalog import companies_import, company_create
from tests.awards.ticketing import BUYER, attendees, invoiced_order, shop_with_type
from tests.factories import IndustryFactory, UserFactory

FULL_WIDTH = "９１００００１４４"


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        (FULL_WIDTH, "910000144"),
        ("٩١٠ ٠٠٠ ١٤٤", "910 000 144"),  # Arabic-Indic digits
        ("１２，５", "12,5"),  # full-width comma
        ("+47\u3000912", "+47 912"),  # ideographic space
        ("91o000144", "91o000144"),  # a letter stays a letter, for the validator to refuse
    ],
)
def test_ascii_digits(typed: str, plain: str) -> None:
    assert ascii_digits(typed) == plain


@pytest.mark.django_db
def test_full_width_org_number_is_the_same_company_through_the_api() -> None:
    IndustryFactory(slug="bank")
    client = APIClient()
    user = UserFactory(roles=[Role.PANEL_MANAGER])
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    first = client.post(
        "/api/v1/companies/",
        {"name": "Bredbreddbank", "org_number": FULL_WIDTH, "industry": "bank"},
        format="json",
    )
    assert first.status_code == 201, first.content
    assert first.json()["org_number"] == "910000144"
    second = client.post(
        "/api/v1/companies/",
        {"name": "Smalbank", "org_number": "910000144", "industry": "bank"},
        format="json",
    )
    assert second.status_code == 400
    assert "org_number" in second.json()
    assert list(Company.objects.values_list("org_number", flat=True)) == ["910000144"]
    found = client.get("/api/v1/companies/", {"search": "９１０"}).json()
    assert [c["name"] for c in found["results"]] == ["Bredbreddbank"]


@pytest.mark.django_db
def test_full_width_org_number_in_an_import_updates_the_existing_company() -> None:
    bank = IndustryFactory(slug="bank")
    company_create(name="Smalbank", org_number="910000144", industry=bank)
    upload = io.BytesIO(f"org_number,name,industry\n{FULL_WIDTH},Nytt navn,bank\n".encode())
    summary = companies_import(file=upload, filename="firma.csv")
    assert (summary.created, summary.updated) == (0, 1)
    assert list(Company.objects.values_list("org_number", "name")) == [("910000144", "Nytt navn")]


@pytest.mark.django_db
def test_model_validation_refuses_a_number_no_service_folded() -> None:
    company = Company(name="X", org_number=FULL_WIDTH, industry=IndustryFactory())
    with pytest.raises(ValidationError) as refused:
        company.full_clean()
    assert "org_number" in refused.value.message_dict


@pytest.mark.django_db
def test_buyer_numbers_are_stored_in_ascii() -> None:
    _shop, ticket = shop_with_type()
    order = order_services.order_reserve(event=ticket.event, quantities={ticket.pk: 1})
    buyer = order_services.Buyer(
        **{
            **BUYER.__dict__,
            "org_number": ascii_to_full_width(BUYER.org_number),
            "phone": "＋４７ ９１２ ３４ ５６７",
            "postcode": "０１５５",
        }
    )
    order_services.order_checkout(
        order=order, buyer=buyer, attendees=attendees(1), method="invoice"
    )
    order = Order.objects.get(pk=order.pk)
    assert (order.buyer_org_number, order.buyer_phone, order.buyer_postcode) == (
        BUYER.org_number,
        "+47 912 34 567",
        "0155",
    )


@pytest.mark.django_db
def test_a_full_width_kid_in_a_bank_statement_finds_its_invoice() -> None:
    _shop, ticket = shop_with_type(price=1000_00)
    order = invoiced_order(ticket, 1)
    kid = order.invoices.get().kid
    statement = f"KID;Beløp\n{ascii_to_full_width(kid)};１ ０００,００\n".encode()
    rows = bank_statement_import(event=ticket.event, content=statement)
    assert [r.kid for r in rows] == [kid]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_a_full_width_number_answer_is_the_number() -> None:
    question = QuestionInfo(key="wait_minutes", type="number")
    assert clean(question, ["１２，５"]) == 12.5
    with pytest.raises(AnswerError):
        clean(question, ["１２x"])


def ascii_to_full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isdigit() else c for c in text)
