"""Contacts never answered were given 0 in every performance area, even in an area with nothing
scored (or one that branching hides from them). Recompute their stored area scores as the
scoring now does: 0 in each area where a scored question applies to a contact with no answers.
"""

from django.db import migrations

UNSCORED_ROLES = {"cx", "wait_time"}


def applicable_areas(apps, questionnaire_id):
    from surveys.branching import is_shown  # a pure function of the condition and the answers

    Section = apps.get_model("surveys", "Section")
    Question = apps.get_model("surveys", "Question")
    Option = apps.get_model("surveys", "Option")
    areas = set()
    for section in Section.objects.filter(questionnaire_id=questionnaire_id):
        if not is_shown(section.relevant, {}):
            continue
        for question in Question.objects.filter(section=section, scored=True):
            if question.role in UNSCORED_ROLES or not is_shown(question.relevant, {}):
                continue
            points = [
                float(p)
                for p in Option.objects.filter(question=question, points__isnull=False)
                .values_list("points", flat=True)
            ]
            if question.type == "multiple_choice":
                possible = sum(p for p in points if p > 0) if points else 1.0
            else:
                possible = max(points) if points else 1.0
            if possible > 0 and question.weight > 0:
                areas.add(section.key)
                break
    return areas


def forwards(apps, schema_editor):
    Response = apps.get_model("surveys", "Response")
    unanswered = Response.objects.filter(assignment__outcome="not_answered").select_related(
        "wave"
    )
    by_questionnaire = {}
    for response in unanswered.iterator():
        questionnaire_id = response.wave.questionnaire_id
        if questionnaire_id not in by_questionnaire:
            by_questionnaire[questionnaire_id] = applicable_areas(apps, questionnaire_id)
        areas = by_questionnaire[questionnaire_id]
        kept = {k: v for k, v in (response.section_scores or {}).items() if k in areas}
        if kept != response.section_scores:
            Response.objects.filter(pk=response.pk).update(section_scores=kept)


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0002_answer_groups_statistics_on_the_chosen_value"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
