"""Standard questionnaire specifications, used by the demo and as the builder's starting points."""

from typing import Any

KSINDEKS: dict[str, Any] = {
    "slug": "ksindeks",
    "kind": "survey",
    "title": "Din siste kontakt med kundeservice",
    "title_en": "Your last contact with customer service",
    "sections": [
        {
            "key": "screening",
            "title": "Kontakt med kundeservice",
            "title_en": "Contact with customer service",
            "questions": [
                {
                    "key": "contacted_cs",
                    "type": "yes_no",
                    "role": "screening",
                    "text": (
                        "Har du vært i kontakt med kundeservice hos en virksomhet "
                        "de siste 14 dagene?"
                    ),
                    "text_en": (
                        "Have you contacted a company's customer service in the last 14 days?"
                    ),
                },
            ],
        },
        {
            "key": "contact",
            "title": "Den siste kontakten",
            "title_en": "Your last contact",
            "questions": [
                {
                    "key": "company",
                    "type": "company",
                    "role": "company",
                    "text": "Hvilken virksomhet var du sist i kontakt med?",
                    "text_en": "Which company did you last contact?",
                },
                {
                    "key": "channel",
                    "type": "channel",
                    "role": "channel",
                    "text": "Hvordan tok du kontakt?",
                    "text_en": "How did you get in touch?",
                },
                {
                    "key": "contacted_before",
                    "type": "yes_no",
                    "role": "contacted_before",
                    "text": "Hadde du vært i kontakt med dem om det samme tidligere?",
                    "text_en": "Had you contacted them about the same matter before?",
                },
            ],
        },
        {
            "key": "experience",
            "title": "Opplevelsen",
            "title_en": "Your experience",
            "questions": [
                {
                    "key": "satisfaction",
                    "type": "rating",
                    "scale": [1, 6],
                    "role": "satisfaction",
                    "text": "Hvor fornøyd var du med kontakten?",
                    "text_en": "How satisfied were you with the contact?",
                    "scale_labels": {
                        "min": "Svært misfornøyd",
                        "min_en": "Very dissatisfied",
                        "max": "Svært fornøyd",
                        "max_en": "Very satisfied",
                    },
                },
                {
                    "key": "resolved",
                    "type": "single_choice",
                    "role": "resolved",
                    "text": "Ble saken din løst?",
                    "text_en": "Was your matter resolved?",
                    "options": [
                        {"value": "yes", "label": "Ja", "label_en": "Yes"},
                        {"value": "partly", "label": "Delvis", "label_en": "Partly"},
                        {"value": "no", "label": "Nei", "label_en": "No"},
                    ],
                },
                {
                    "key": "must_contact_again",
                    "type": "yes_no",
                    "role": "must_contact_again",
                    "text": "Må du kontakte dem igjen om det samme?",
                    "text_en": "Must you contact them again about the same matter?",
                    "relevant": {"q": "resolved", "in": ["partly", "no"]},
                },
                {
                    "key": "wait_minutes",
                    "type": "duration",
                    "role": "wait_time",
                    "required": False,
                    "text": "Omtrent hvor lenge ventet du på svar (minutter)?",
                    "text_en": "About how long did you wait for an answer (minutes)?",
                },
                {
                    "key": "nps",
                    "type": "nps",
                    "role": "nps",
                    "text": "Hvor sannsynlig er det at du vil anbefale virksomheten til en venn?",
                    "text_en": "How likely are you to recommend the company to a friend?",
                },
            ],
        },
        {
            "key": "preferences",
            "title": "Dine ønsker",
            "title_en": "Your preferences",
            "questions": [
                {
                    "key": "preferred_channel",
                    "type": "channel",
                    "role": "preferred_channel",
                    "text": "Hvilken kanal foretrekker du når du kontakter kundeservice?",
                    "text_en": "Which channel do you prefer when contacting customer service?",
                },
                {
                    "key": "comment",
                    "type": "text",
                    "required": False,
                    "text": "Vil du fortelle oss noe mer?",
                    "text_en": "Anything else you would like to tell us?",
                },
            ],
        },
    ],
}
