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

#: The open poll DOMAIN.md quotes ("which channel do you prefer?"), one question on one page.
CHANNEL_POLL: dict[str, Any] = {
    "slug": "foretrukket-kanal",
    "kind": "poll",
    "title": "Kundeservice-avstemning",
    "title_en": "Customer service poll",
    "sections": [
        {
            "key": "poll",
            "title": "Din foretrukne kanal",
            "title_en": "Your preferred channel",
            "questions": [
                {
                    "key": "preferred_channel",
                    "type": "single_choice",
                    "text": "Hvilken kanal foretrekker du når du kontakter kundeservice?",
                    "text_en": "Which channel do you prefer when contacting customer service?",
                    "options": [
                        {
                            "value": "chat",
                            "label": "Chat eller chatbot",
                            "label_en": "Chat or chatbot",
                        },
                        {"value": "phone", "label": "Telefon", "label_en": "Phone"},
                        {"value": "email", "label": "E-post", "label_en": "E-mail"},
                        {"value": "social", "label": "Sosiale medier", "label_en": "Social media"},
                    ],
                },
            ],
        },
    ],
}


def _points(*options: tuple[str, str, str, int]) -> list[dict[str, Any]]:
    return [{"value": v, "label": nb, "label_en": en, "points": p} for v, nb, en, p in options]


YES_NO_POINTS = _points(("yes", "Ja", "Yes", 1), ("no", "Nei", "No", 0))

#: A Kundeserviceprisen-like evaluation form (DOMAIN.md, instrument 2): weighted performance
#: areas, scored questions that each have a 0-point option, a question without points (callback
#: offered), N/A where the company may sell nothing (would you buy), the waiting time, and CX
#: items (CSAT, CES, NPS) that are reported but never counted.
KUNDESERVICEPRISEN: dict[str, Any] = {
    "slug": "kundeserviceprisen",
    "kind": "evaluation",
    "title": "Evaluering av kundeservicekontakten",
    "title_en": "Evaluation of the customer service contact",
    "intro": "Svar ut fra dialogen slik du opplevde den som kunde.",
    "intro_en": "Answer from the dialogue as you experienced it as a customer.",
    "sections": [
        {
            "key": "availability",
            "title": "Tilgjengelighet",
            "title_en": "Availability",
            "weight": 1,
            "questions": [
                {
                    "key": "wait_minutes",
                    "type": "duration",
                    "role": "wait_time",
                    "required": False,
                    "text": "Hvor lenge ventet du før du fikk svar (minutter)?",
                    "text_en": "How long did you wait for an answer (minutes)?",
                },
                {
                    "key": "easy_to_reach",
                    "type": "single_choice",
                    "scored": True,
                    "text": "Hvor lett var det å komme fram til riktig person?",
                    "text_en": "How easy was it to reach the right person?",
                    "options": _points(
                        ("easy", "Lett", "Easy", 2),
                        ("some_effort", "Noe strev", "Some effort", 1),
                        ("hard", "Vanskelig", "Hard", 0),
                    ),
                },
            ],
        },
        {
            "key": "agent",
            "title": "Kundebehandleren",
            "title_en": "The agent",
            "weight": 2,
            "questions": [
                {
                    "key": "greeting",
                    "type": "yes_no",
                    "scored": True,
                    "text": "Presenterte kundebehandleren seg med navn?",
                    "text_en": "Did the agent introduce themselves by name?",
                    "options": YES_NO_POINTS,
                },
                {
                    "key": "polite",
                    "type": "single_choice",
                    "scored": True,
                    "weight": 2,
                    "text": "Hvor høflig og imøtekommende var kundebehandleren?",
                    "text_en": "How polite and helpful was the agent?",
                    "options": _points(
                        ("very", "Svært", "Very", 2),
                        ("fairly", "Ganske", "Fairly", 1),
                        ("not", "Lite", "Not much", 0),
                    ),
                },
                {
                    "key": "engaged",
                    "type": "yes_no",
                    "scored": True,
                    "text": "Virket kundebehandleren engasjert i saken din?",
                    "text_en": "Did the agent seem engaged in your matter?",
                    "options": YES_NO_POINTS,
                },
            ],
        },
        {
            "key": "needs",
            "title": "Behov og løsning",
            "title_en": "Needs and solution",
            "weight": 2,
            "questions": [
                {
                    "key": "asked",
                    "type": "yes_no",
                    "scored": True,
                    "text": "Stilte kundebehandleren spørsmål for å forstå behovet ditt?",
                    "text_en": "Did the agent ask questions to understand your need?",
                    "options": YES_NO_POINTS,
                },
                {
                    "key": "solution",
                    "type": "single_choice",
                    "scored": True,
                    "weight": 2,
                    "text": "Fikk du en løsning på henvendelsen?",
                    "text_en": "Did you get a solution to your enquiry?",
                    "options": _points(
                        ("full", "Ja, helt", "Yes, fully", 2),
                        ("partial", "Delvis", "Partly", 1),
                        ("none", "Nei", "No", 0),
                    ),
                },
                {
                    "key": "callback_offered",
                    "type": "yes_no",
                    "text": "Ble du tilbudt å bli ringt opp?",
                    "text_en": "Were you offered a callback?",
                },
            ],
        },
        {
            "key": "overall",
            "title": "Totalinntrykk",
            "title_en": "Overall impression",
            "weight": 1,
            "questions": [
                {
                    "key": "valued",
                    "type": "yes_no",
                    "scored": True,
                    "text": "Følte du deg verdsatt?",
                    "text_en": "Did you feel valued?",
                    "options": YES_NO_POINTS,
                },
                {
                    "key": "would_buy",
                    "type": "yes_no",
                    "scored": True,
                    "allow_na": True,
                    "text": "Ville du handlet med dette selskapet basert på denne dialogen?",
                    "text_en": "Would you buy from this company based on this dialogue?",
                    "help": "Velg «Ikke aktuelt» hvis selskapet ikke selger noe.",
                    "help_en": "Choose “Not applicable” if the company sells nothing.",
                    "options": YES_NO_POINTS,
                },
                {
                    "key": "csat",
                    "type": "rating",
                    "scale": [1, 5],
                    "role": "cx",
                    "text": "Hvor fornøyd var du med dialogen?",
                    "text_en": "How satisfied were you with the dialogue?",
                    "scale_labels": {
                        "min": "Svært misfornøyd",
                        "min_en": "Very dissatisfied",
                        "max": "Svært fornøyd",
                        "max_en": "Very satisfied",
                    },
                },
                {
                    "key": "ces",
                    "type": "rating",
                    "scale": [1, 7],
                    "role": "cx",
                    "text": "Hvor enkelt var det å få hjelp?",
                    "text_en": "How easy was it to get help?",
                    "scale_labels": {
                        "min": "Svært vanskelig",
                        "min_en": "Very difficult",
                        "max": "Svært enkelt",
                        "max_en": "Very easy",
                    },
                },
                {
                    "key": "nps",
                    "type": "nps",
                    "role": "cx",
                    "text": "Hvor sannsynlig er det at du vil anbefale selskapet til en venn?",
                    "text_en": "How likely are you to recommend the company to a friend?",
                },
                {
                    "key": "comment",
                    "type": "text",
                    "required": False,
                    "text": "Kommentar til dialogen",
                    "text_en": "Comment on the dialogue",
                },
            ],
        },
    ],
}
