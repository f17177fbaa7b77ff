"""Writes to the catalog: creating and updating companies, and the all-or-nothing import."""

import re
from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kundeservice.errors import ConflictError, DomainError, RowError
from kundeservice.numbers import ascii_digits
from kundeservice.tabular import read_rows, reject_if_errors
from surveys.models import Channel, Company, FormerCompanySlug, Industry
from surveys.models.catalog import validate_org_number
from surveys.selectors import catalog_changed
from surveys.slugs import slug_for

IMPORT_COLUMNS = {
    "org_number": ("organisasjonsnummer", "orgnr", "org.nr.", "organization_number"),
    "name": ("navn", "company", "virksomhet"),
    "industry": ("bransje",),
    "channels": ("kanaler",),
    "website": ("nettside", "url"),
}
IMPORT_REQUIRED = ("org_number", "name", "industry")


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int

    @property
    def total(self) -> int:
        return self.created + self.updated


def company_create(
    *,
    name: str,
    org_number: str,
    industry: Industry,
    channels: list[str] | None = None,
    website: str = "",
    is_active: bool = True,
) -> Company:
    """Create one company after full validation."""
    company = Company(
        name=name.strip(),
        org_number=_org_number_text(org_number),
        industry=industry,
        channels=list(channels or []),
        website=website,
        is_active=is_active,
    )
    company.slug = _unique_slug(company.name)
    _full_clean(company)
    _save(company)
    return company


def company_update(*, company: Company, **fields: Any) -> Company:
    """Change the given fields of a company after full validation."""
    allowed = {"name", "org_number", "industry", "channels", "website", "is_active"}
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError(_("Unknown field(s): %(f)s") % {"f": ", ".join(sorted(unknown))})
    if isinstance(fields.get("org_number"), str):
        fields["org_number"] = _org_number_text(fields["org_number"])
    for key, value in fields.items():
        setattr(company, key, value)
    _full_clean(company)
    _save(company)
    return company


def companies_import(*, file: IO[bytes], filename: str) -> ImportSummary:
    """Create or update companies (by organisation number) from a CSV/XLSX file.

    Every bad row is reported with its number and reason; if any row is bad nothing changes.
    """
    rows = read_rows(file=file, filename=filename, columns=IMPORT_COLUMNS, required=IMPORT_REQUIRED)
    industries = _industry_lookup()
    existing = {c.org_number: c for c in Company.objects.all()}
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    parsed: list[tuple[int, dict[str, Any]]] = []

    for row in rows:
        values = row.values
        org_number = _org_number_text(values.get("org_number", ""))
        row_errors: list[RowError] = []
        if not org_number:
            row_errors.append(
                RowError(row.number, "org_number", _("Organisation number is missing."))
            )
        else:
            try:
                validate_org_number(org_number)
            except ValidationError as exc:
                row_errors.append(RowError(row.number, "org_number", exc.messages[0]))
            if org_number in seen:
                row_errors.append(
                    RowError(
                        row.number,
                        "org_number",
                        _("Organisation number %(n)s also appears in row %(row)d.")
                        % {"n": org_number, "row": seen[org_number]},
                    )
                )
            else:
                seen[org_number] = row.number
        name = values.get("name", "")
        if not name:
            row_errors.append(RowError(row.number, "name", _("Name is missing.")))
        elif len(name) > 200:
            row_errors.append(
                RowError(row.number, "name", _("Name is longer than 200 characters."))
            )
        industry = industries.get(values.get("industry", "").strip().lower())
        if industry is None:
            row_errors.append(
                RowError(
                    row.number,
                    "industry",
                    _("Unknown industry “%(value)s”.") % {"value": values.get("industry", "")}
                    if values.get("industry")
                    else _("Industry is missing."),
                )
            )
        channels, channel_error = _parse_channels(values.get("channels", ""))
        if channel_error:
            row_errors.append(RowError(row.number, "channels", channel_error))
        website = values.get("website", "")
        if website and not re.match(r"^https?://[^\s/$.?#].[^\s]*$", website):
            row_errors.append(
                RowError(row.number, "website", _("Website must start with http:// or https://."))
            )
        if row_errors:
            errors.extend(row_errors)
            continue
        parsed.append(
            (
                row.number,
                {
                    "org_number": org_number,
                    "name": name,
                    "industry": industry,
                    "channels": channels,
                    "website": website,
                },
            )
        )
    reject_if_errors(errors, headers=rows.headers)

    created = updated = 0
    with transaction.atomic():
        for number, data in parsed:
            company = existing.get(data["org_number"])
            try:
                if company is None:
                    company_create(**data)
                    created += 1
                else:
                    company_update(
                        company=company, **{k: v for k, v in data.items() if k != "org_number"}
                    )
                    updated += 1
            except DomainError as exc:
                # What only the model's own validation finds still names its row.
                errors.extend(_row_errors(number, exc))
        # Raised inside the transaction: the rows written before the bad one roll back.
        reject_if_errors(errors, headers=rows.headers)
    return ImportSummary(created=created, updated=updated)


def _row_errors(number: int, exc: DomainError) -> list[RowError]:
    if hasattr(exc, "error_dict"):
        return [
            RowError(number, "" if field == "__all__" else field, message)
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return [RowError(number, "", message) for message in exc.messages]


def _org_number_text(text: str) -> str:
    """An organisation number as typed ("９１０ ０００ １４４") in the one form it is stored in."""
    return re.sub(r"\s+", "", ascii_digits(text))


def _industry_lookup() -> dict[str, Industry]:
    lookup: dict[str, Industry] = {}
    for industry in Industry.objects.all():
        for key in (industry.slug, industry.name, industry.name_en):
            lookup[key.strip().lower()] = industry
    return lookup


def _channel_lookup() -> dict[str, str]:
    from django.utils import translation

    lookup: dict[str, str] = {}
    for channel in Channel:
        lookup[channel.value] = channel.value
        for language in ("nb", "en"):
            with translation.override(language):
                lookup[str(channel.label).lower()] = channel.value
    # Everyday spellings staff use in spreadsheets.
    lookup.update({"e-post": "email", "epost": "email", "telefon": "phone", "messenger": "social"})
    return lookup


def _parse_channels(text: str) -> tuple[list[str], str | None]:
    if not text.strip():
        return [], None
    lookup = _channel_lookup()
    channels: list[str] = []
    unknown: list[str] = []
    for part in re.split(r"[,;|]", text):
        token = part.strip().lower()
        if not token:
            continue
        code = lookup.get(token)
        if code is None:
            unknown.append(part.strip())
        elif code not in channels:
            channels.append(code)
    if unknown:
        return [], _("Unknown channel(s): %(c)s. Use: %(known)s.") % {
            "c": ", ".join(unknown),
            "known": ", ".join(Channel.values),
        }
    return channels, None


def _unique_slug(name: str) -> str:
    """A slug no company has now or had before (old links keep going where they went)."""
    base = slug_for(name)[:70] or "virksomhet"
    slug, n = base, 2
    while (
        Company.objects.filter(slug=slug).exists()
        or FormerCompanySlug.objects.filter(slug=slug).exists()
    ):
        slug, n = f"{base}-{n}", n + 1
    return slug


def _full_clean(company: Company) -> None:
    try:
        company.full_clean()
    except ValidationError as exc:
        # Keep the field names so the API can point at the field; forms show the messages.
        raise DomainError(exc.message_dict, code="invalid_company") from None


def _save(company: Company) -> None:
    # full_clean checked uniqueness, but a concurrent writer may have won since.
    try:
        with transaction.atomic():
            company.save()
            transaction.on_commit(catalog_changed)
    except IntegrityError:
        raise ConflictError(
            _("A company with organisation number %(n)s already exists.")
            % {"n": company.org_number},
            code="org_number_taken",
        ) from None
