"""The shared cast of users and exams tests build on."""

from typing import Any

from accounts.models import User
from quiz.models import Choice, Exam, Question

PASSWORD = "correct horse battery staple"


def make_user(username: str, **fields: Any) -> User:
    fields.setdefault("email", f"{username}@example.com")
    return User.objects.create_user(username=username, password=PASSWORD, **fields)


def make_exam(slug: str = "python", questions: int = 3, published: bool = True, **fields: Any) -> Exam:
    """An exam of single-choice questions whose first choice is the right one; the last one,
    if there are at least two, is a multiple-choice question whose first two choices are right."""
    fields.setdefault("title", f"Exam {slug}")
    fields.setdefault("source_language", "en")
    exam = Exam.objects.create(slug=slug, is_published=published, **fields)
    for number in range(questions):
        multiple = questions > 1 and number == questions - 1
        question = Question.objects.create(
            exam=exam,
            kind=Question.Kind.MULTIPLE if multiple else Question.Kind.SINGLE,
            text=f"Question {number + 1} of {slug}?",
            explanation=f"Because of reason {number + 1}.",
            order=number,
        )
        Choice.objects.bulk_create(
            Choice(
                question=question,
                text=f"Answer {letter}",
                is_correct=letter == "A" or (multiple and letter == "B"),
                order=i,
            )
            for i, letter in enumerate("ABCD")
        )
    return exam


def right_answers(exam: Exam) -> dict[str, list[int]]:
    """POST data answering every question of the exam correctly."""
    return {
        f"q{question.pk}": [choice.pk for choice in question.choices.all() if choice.is_correct]
        for question in exam.questions.all()
    }


def wrong_answer(question: Question) -> list[int]:
    return [choice.pk for choice in question.choices.all() if not choice.is_correct][:1]
