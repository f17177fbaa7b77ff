"""Demo catalog: Norwegian industries and fictional but real-looking companies.

Every name is invented so that demo scores never describe a real company. Organisation numbers
are valid (mod-11) and derived deterministically from the company's position.
"""

from django.utils.text import slugify
from stdnum.no import orgnr

from surveys.models import Channel, Company, Industry

C = Channel
ALL_CONTACT = [C.PHONE, C.CHAT, C.EMAIL, C.SOCIAL]

INDUSTRIES: list[tuple[str, str, str, list[str], list[str]]] = [
    # slug, nb name, en name, typical channels, company names
    (
        "bank",
        "Bank",
        "Banking",
        [*ALL_CONTACT, C.CHATBOT, C.SELF_SERVICE],
        [
            "Fjordvik Sparebank",
            "Nordkyst Bank ASA",
            "Trollheim Sparebank",
            "Bankhuset Vidde",
            "Lågen Sparebank",
            "Polarbanken ASA",
            "Kystbanken Midt",
        ],
    ),
    (
        "forsikring",
        "Forsikring",
        "Insurance",
        [C.PHONE, C.CHAT, C.EMAIL, C.CONTACT_FORM],
        [
            "Tryggvik Forsikring",
            "Nordlys Skadeforsikring",
            "Fjellsikker ASA",
            "Havtrygg Forsikring",
            "Bygdeforsikring Innlandet",
            "Solid Forsikring Norge",
            "Vern Forsikring",
        ],
    ),
    (
        "telefoni",
        "Telefoni",
        "Mobile telephony",
        [*ALL_CONTACT, C.CHATBOT],
        [
            "Fjellnett Mobil",
            "Sjøsignal AS",
            "Nordmobil Norge",
            "Taletid AS",
            "Bølge Mobil",
            "Kyst Tele ASA",
            "Mastetopp Mobil",
        ],
    ),
    (
        "bredband",
        "Bredbånd",
        "Broadband",
        [C.PHONE, C.CHAT, C.EMAIL, C.SELF_SERVICE],
        [
            "Fiberfjord AS",
            "Lysnett Bredbånd",
            "Dalenett AS",
            "Hurtiglinja Fiber",
            "Vestfiber AS",
            "Nordfiber Hjem",
            "Bygdenett AS",
        ],
    ),
    (
        "kabel-tv",
        "Kabel-TV",
        "Cable TV",
        [C.PHONE, C.CHAT, C.EMAIL],
        [
            "Kanalhuset Kabel-TV",
            "Fjernsynsnettet AS",
            "Nordkabel TV",
            "Skjermen Kabel AS",
            "Signalbyen TV",
            "Antenneforeningen Vest",
            "Kabelkompaniet AS",
        ],
    ),
    (
        "strom",
        "Strøm",
        "Electricity",
        [C.PHONE, C.CHAT, C.EMAIL, C.SOCIAL],
        [
            "Fossekraft Strøm",
            "Vindkast Energi",
            "Elvekraft AS",
            "Nordlys Strømsalg",
            "Fjellstrøm Norge",
            "Kraftkilden AS",
            "Solgløtt Energi",
        ],
    ),
    (
        "reise",
        "Reise",
        "Travel",
        [C.PHONE, C.CHAT, C.EMAIL, C.SOCIAL, C.CHATBOT],
        [
            "Fjordlinja Reiser",
            "Nordfly AS",
            "Togtur Norge",
            "Reisebyrået Midnattsol",
            "Hurtigbåten Vest",
            "Fjellferie AS",
            "Ekspressbuss Nord",
        ],
    ),
    (
        "offentlig",
        "Offentlig sektor",
        "Public sector",
        [C.PHONE, C.CHAT, C.CONTACT_FORM, C.SELF_SERVICE],
        [
            "Trygdeetaten Demo",
            "Skatteservice Demo",
            "Lånekassen Demo",
            "Kommunetorget Demo",
            "Vegvesenet Demo",
            "Helsetjenesten Demo",
            "Tolletaten Demo",
        ],
    ),
    (
        "netthandel",
        "Netthandel",
        "E-commerce",
        [C.CHAT, C.EMAIL, C.SOCIAL, C.CONTACT_FORM],
        [
            "Handlekurven AS",
            "Pakkeposten Nett",
            "Butikken.no Demo",
            "Nordshop AS",
            "Kjøpfort AS",
            "Varehuset Online",
            "Klikk og Hent AS",
        ],
    ),
]


def demo_org_number(index: int) -> str:
    """The index-th valid organisation number in a fixed demo range (9xxxxxxxx)."""
    base = 912_300_00 + index * 7
    while True:
        stem = f"{base:08d}"
        for digit in "0123456789":
            if orgnr.is_valid(stem + digit):
                return stem + digit
        base += 1


def seed(*, stdout_lines: list[str]) -> None:
    """Create the demo industries and companies; safe to run again."""
    index = 0
    for position, (slug, name, name_en, channels, companies) in enumerate(INDUSTRIES):
        industry, _created = Industry.objects.update_or_create(
            slug=slug, defaults={"name": name, "name_en": name_en, "position": position}
        )
        for n, company_name in enumerate(companies):
            # Every third company lacks one of the industry's channels, as real ones do.
            offered = [str(c) for c in channels]
            if n % 3 == 2 and len(offered) > 2:
                offered.pop()
            Company.objects.update_or_create(
                org_number=demo_org_number(index),
                defaults={
                    "name": company_name,
                    "slug": slugify(company_name),
                    "industry": industry,
                    "channels": offered,
                    "website": f"https://{slugify(company_name)}.example.no",
                },
            )
            index += 1
    stdout_lines.append(f"  catalog: {len(INDUSTRIES)} industries, {index} companies")
