"""Panel management: importing panelists, and what GDPR asks for (erase, export)."""

import re
import unicodedata
from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kundeservice.errors import ConflictError, DomainError, RowError
from kundeservice.numbers import ascii_digits
from kundeservice.tabular import read_rows, reject_if_errors
from surveys.models import Gender, Panelist, Region, Response, SubmissionInbox, SubmissionStatus
from surveys.services.submissions import submissions_expand

IMPORT_COLUMNS = {
    "email": ("e-post", "epost", "e_post", "e-mail", "mail"),
    "gender": ("kjønn", "kjonn", "sex"),
    "birth_year": ("fødselsår", "fodselsar", "født", "born", "year_of_birth"),
    "region": ("fylke", "county"),
    "external_id": ("ekstern_id", "id", "panel_id"),
    "language": ("språk", "sprak", "lang"),
}
GENDER_WORDS = {
    "female": Gender.FEMALE,
    "kvinne": Gender.FEMALE,
    "k": Gender.FEMALE,
    "f": Gender.FEMALE,
    "woman": Gender.FEMALE,
    "male": Gender.MALE,
    "mann": Gender.MALE,
    "m": Gender.MALE,
    "man": Gender.MALE,
    "other": Gender.OTHER,
    "annet": Gender.OTHER,
    "ikke oppgitt": Gender.OTHER,
}
LANGUAGES = {
    "nb": "nb",
    "no": "nb",
    "norsk": "nb",
    "bokmål": "nb",
    "en": "en",
    "english": "en",
    "engelsk": "en",
}
OLDEST_YEAR = 1900
YOUNGEST_AGE = 15


@dataclass(frozen=True)
class PanelImportSummary:
    created: int
    updated: int
    merged_rows: int


def panelists_import(*, file: IO[bytes], filename: str) -> PanelImportSummary:
    """Create or update panelists (matched by e-mail) from a CSV/XLSX file, all or nothing.

    Rows repeating an e-mail are merged; rows that contradict each other are errors.
    """
    rows = read_rows(file=file, filename=filename, columns=IMPORT_COLUMNS, required=["email"])
    regions = _region_lookup()
    errors: list[RowError] = []
    merged: dict[str, dict[str, Any]] = {}
    first_row: dict[str, int] = {}
    external_ids: dict[str, tuple[str, int]] = {}
    merged_rows = 0
    this_year = timezone.localdate().year

    for row in rows:
        values = row.values
        bad = [c for c, v in values.items() if _has_control_characters(v)]
        if bad:
            errors += [
                RowError(row.number, c, _("Contains invisible control characters.")) for c in bad
            ]
            continue
        email = values.get("email", "").strip().lower()
        record: dict[str, Any] = {}
        row_errors: list[RowError] = []
        if not email:
            row_errors.append(RowError(row.number, "email", _("E-mail is missing.")))
        elif len(email) > 254:
            row_errors.append(
                RowError(row.number, "email", _("E-mail is longer than 254 characters."))
            )
        else:
            try:
                validate_email(email)
            except ValidationError:
                row_errors.append(
                    RowError(
                        row.number,
                        "email",
                        _("“%(v)s” is not an e-mail address.") % {"v": email[:60]},
                    )
                )
        gender = values.get("gender", "").strip().lower()
        if gender:
            if gender not in GENDER_WORDS:
                row_errors.append(
                    RowError(
                        row.number,
                        "gender",
                        _("Unknown gender “%(v)s”: use kvinne, mann or annet.")
                        % {"v": gender[:30]},
                    )
                )
            else:
                record["gender"] = GENDER_WORDS[gender]
        birth_year = ascii_digits(values.get("birth_year", "")).strip()
        if birth_year:
            if not re.fullmatch(r"[0-9]{4}", birth_year):
                row_errors.append(
                    RowError(
                        row.number, "birth_year", _("Birth year must be four digits, e.g. 1978.")
                    )
                )
            elif not OLDEST_YEAR <= int(birth_year) <= this_year - YOUNGEST_AGE:
                row_errors.append(
                    RowError(
                        row.number,
                        "birth_year",
                        _("Birth year must be from %(first)d to %(last)d.")
                        % {"first": OLDEST_YEAR, "last": this_year - YOUNGEST_AGE},
                    )
                )
            else:
                record["birth_year"] = int(birth_year)
        region = values.get("region", "").strip().lower()
        if region:
            if region not in regions:
                row_errors.append(
                    RowError(
                        row.number, "region", _("Unknown county “%(v)s”.") % {"v": region[:40]}
                    )
                )
            else:
                record["region"] = regions[region]
        language = values.get("language", "").strip().lower()
        if language:
            if language not in LANGUAGES:
                row_errors.append(RowError(row.number, "language", _("Language must be nb or en.")))
            else:
                record["language"] = LANGUAGES[language]
        external_id = values.get("external_id", "").strip()
        if external_id:
            if len(external_id) > 100:
                row_errors.append(
                    RowError(
                        row.number, "external_id", _("External id is longer than 100 characters.")
                    )
                )
            elif external_id in external_ids and external_ids[external_id][0] != email:
                row_errors.append(
                    RowError(
                        row.number,
                        "external_id",
                        _("External id %(id)s is already used by row %(row)d for another e-mail.")
                        % {"id": external_id, "row": external_ids[external_id][1]},
                    )
                )
            else:
                external_ids.setdefault(external_id, (email, row.number))
                record["external_id"] = external_id
        if row_errors:
            errors += row_errors
            continue
        if email in merged:
            conflicts = [k for k, v in record.items() if merged[email].get(k) not in (None, v)]
            if conflicts:
                errors.append(
                    RowError(
                        row.number,
                        conflicts[0],
                        _("Row %(row)d has the same e-mail with a different value.")
                        % {"row": first_row[email]},
                    )
                )
                continue
            merged[email].update(record)
            merged_rows += 1
        else:
            merged[email] = record
            first_row[email] = row.number
    reject_if_errors(errors, headers=rows.headers)

    with transaction.atomic():
        existing = {
            p.email: p for p in Panelist.objects.filter(email__in=list(merged)).select_for_update()
        }
        new = [
            Panelist(email=email, **record)
            for email, record in merged.items()
            if email not in existing
        ]
        changed = []
        for email, record in merged.items():
            panelist = existing.get(email)
            if panelist is not None:
                for key, value in record.items():
                    setattr(panelist, key, value)
                panelist.updated_at = timezone.now()
                changed.append(panelist)
        Panelist.objects.bulk_create(new, batch_size=2000)
        Panelist.objects.bulk_update(
            changed,
            ["gender", "birth_year", "region", "language", "external_id", "updated_at"],
            batch_size=2000,
        )
    return PanelImportSummary(created=len(new), updated=len(changed), merged_rows=merged_rows)


def _region_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for region in Region:
        lookup[region.value] = region.value
        lookup[str(region.label).lower()] = region.value
    return lookup


def _has_control_characters(value: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" and ch not in "\t" for ch in value)


def panelist_erase(*, panelist: Panelist) -> Panelist:
    """GDPR erasure: personal data is removed; answers stay, no longer linked to a person (the
    weighting cell was copied onto each response when it was submitted). A survey answered
    through the API and not yet saved is saved first, so it keeps its weighting cell."""
    with transaction.atomic():
        panelist = Panelist.objects.select_for_update().get(pk=panelist.pk)
        submissions_expand(invitation_ids=panelist.invitations.values_list("pk", flat=True))
        panelist.email = None
        panelist.external_id = ""
        panelist.gender = ""
        panelist.birth_year = None
        panelist.region = ""
        panelist.erased_at = panelist.erased_at or timezone.now()
        panelist.save()
    return panelist


def panelist_export(*, panelist: Panelist) -> dict[str, Any]:
    """Everything held about one person (GDPR access request), as JSON-ready data."""
    invitations = panelist.invitations.select_related("wave").order_by("id")
    responses = {
        r.invitation_id: r
        for r in Response.objects.filter(invitation__panelist=panelist).prefetch_related(
            "answers__question"
        )
    }
    received = dict(
        SubmissionInbox.objects.filter(
            invitation__panelist=panelist, status=SubmissionStatus.PENDING
        ).values_list("invitation_id", "answers")
    )
    return {
        "panelist": {
            "email": panelist.email,
            "external_id": panelist.external_id,
            "gender": panelist.gender,
            "birth_year": panelist.birth_year,
            "region": panelist.region,
            "language": panelist.language,
            "unsubscribed_at": _iso(panelist.unsubscribed_at),
            "created_at": _iso(panelist.created_at),
        },
        "invitations": [
            {
                "wave": str(i.wave),
                "status": i.status,
                "sent_at": _iso(i.sent_at),
                "opened_at": _iso(i.opened_at),
                "completed_at": _iso(i.completed_at),
                "answers": {
                    a.question.key: a.value_choices or a.value_text or a.value_number
                    for a in responses[i.pk].answers.all()
                }
                if i.pk in responses
                else received.get(i.pk, {}),
            }
            for i in invitations
        ],
    }


def panelist_unsubscribe(*, panelist: Panelist) -> None:
    """Stop all mail to this panelist; safe to repeat."""
    Panelist.objects.filter(pk=panelist.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=timezone.now()
    )


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def panelist_create(**fields: Any) -> Panelist:
    """Add one panelist; the e-mail is stored in lower case and must be new."""
    email = (fields.get("email") or "").strip().lower() or None
    panelist = Panelist(**{**fields, "email": email})
    try:
        panelist.full_clean()
    except ValidationError as exc:
        raise DomainError(exc.message_dict, code="invalid_panelist") from None
    try:
        with transaction.atomic():
            panelist.save()
    except IntegrityError:
        raise ConflictError(
            _("A panelist with this e-mail already exists."), code="email_taken"
        ) from None
    return panelist
