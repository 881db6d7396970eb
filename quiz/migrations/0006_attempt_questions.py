"""An attempt's questions are now its Answer rows, made when it starts (quiz.attempts).

An attempt finished before has one row per question it was scored on. An attempt still open has
none: it gets a row, unanswered, for each question of its exam, and its choices in their usual
order (an empty choice_order means just that), so it can still be taken and finished.
"""

from django.db import migrations


def give_open_attempts_their_questions(apps, schema_editor):
    db = schema_editor.connection.alias  # the database migrated, not always the default
    Attempt = apps.get_model("quiz", "Attempt")
    Answer = apps.get_model("quiz", "Answer")
    Question = apps.get_model("quiz", "Question")
    bare = Attempt.objects.using(db).filter(finished__isnull=True, answers__isnull=True).order_by("pk")
    for attempt in bare.iterator(chunk_size=500):
        ids = list(Question.objects.using(db).filter(exam_id=attempt.exam_id).values_list("pk", flat=True))
        Answer.objects.using(db).bulk_create(Answer(attempt_id=attempt.pk, question_id=pk) for pk in ids)
        Attempt.objects.using(db).filter(pk=attempt.pk).update(question_count=len(ids))


class Migration(migrations.Migration):
    dependencies = [("quiz", "0005_fsrs")]

    # Backwards there is nothing to undo: the rows are what the attempts hold from now on.
    operations = [migrations.RunPython(give_open_attempts_their_questions, migrations.RunPython.noop)]
