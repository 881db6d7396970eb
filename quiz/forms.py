from collections.abc import Iterable
from typing import Any, NamedTuple

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from drillquiz.ids import BIGINT_MAX
from quiz.models import Attempt, Question, Rating, Tag


def selected_ids(value: int | list[int]) -> set[int]:
    """A cleaned answer field's value as a set of choice ids, for either kind of question."""
    return set(value) if isinstance(value, list) else {value}


def submitted_ids(question: Question, field: forms.BoundField) -> set[int]:
    """The question's own choice ids a bound field was given (valid or not), to keep them ticked on a
    redisplay. Compared as text: "²" passes str.isdigit() and then fails int()."""
    value = field.value()
    submitted = {str(item) for item in (value if isinstance(value, list) else [value])}
    return {choice.pk for choice in question.choices.all() if str(choice.pk) in submitted}


class ExamSearchForm(forms.Form):
    """The exam list's search box and tag filter, each with a maximum length checked before the query."""

    q = forms.CharField(
        max_length=100,
        required=False,
        error_messages={"max_length": _("Search for at most %(limit_value)d characters.")},
    )
    tag = forms.CharField(max_length=Tag._meta.get_field("slug").max_length, required=False)


class ChoiceInputs(NamedTuple):
    """What the choices template needs to draw one question's inputs."""

    question: Question
    field: forms.BoundField
    ticked: set[int]


def answer_field(question: Question, required: bool = True) -> forms.Field:
    """A field offering only this question's own choices (required unless told)."""
    choices = [(choice.pk, choice.text) for choice in question.choices.all()]
    errors = {"required": _("Answer this question."), "invalid_choice": _("Choose one of this question's answers.")}
    if question.kind == Question.Kind.MULTIPLE:
        errors["invalid_choice"] = errors["invalid_list"] = _("Choose among this question's answers.")
        return forms.TypedMultipleChoiceField(
            choices=choices, coerce=int, widget=forms.CheckboxSelectMultiple, error_messages=errors, required=required
        )
    return forms.TypedChoiceField(
        choices=choices, coerce=int, widget=forms.RadioSelect, error_messages=errors, required=required
    )


class StartForm(forms.Form):
    """The exam page's choice: practice (one question at a time) or exam (all of them, maybe timed)."""

    mode = forms.ChoiceField(
        choices=Attempt.Mode.choices,
        error_messages={
            "required": _("Choose practice or exam."),
            "invalid_choice": _("Choose practice or exam."),
        },
    )


class AttemptForm(forms.Form):
    """The exam mode's final submit: one field per question, named q<id>, and the flagged question ids.

    A question may be left out (the answer saved before stands); which ones are still unanswered is
    the attempt's business, not the form's."""

    def __init__(self, questions: Iterable[Question], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for question in self.questions:
            self.fields[f"q{question.pk}"] = answer_field(question, required=False)
        self.fields["flagged"] = forms.TypedMultipleChoiceField(
            choices=[(question.pk, question.pk) for question in self.questions],
            coerce=int,
            required=False,
            error_messages={"invalid_choice": _("Only this exam's questions can be flagged.")},
        )

    def inputs(self) -> list[ChoiceInputs]:
        inputs = []
        for question in self.questions:
            field = self[f"q{question.pk}"]
            inputs.append(ChoiceInputs(question, field, submitted_ids(question, field)))
        return inputs

    def selections(self) -> dict[int, set[int]]:
        """Selected choice ids per question id, for the questions answered; only valid after is_valid()."""
        selections = {}
        for question in self.questions:
            value = self.cleaned_data[f"q{question.pk}"]
            if value not in (None, "", []):
                selections[question.pk] = selected_ids(value)
        return selections

    def flagged(self) -> set[int]:
        return set(self.cleaned_data["flagged"])


class QuestionIdForm(forms.Form):
    """Which question of an attempt an answer or a flag is for (checked against the attempt by the view)."""

    question = forms.IntegerField(
        min_value=1,
        max_value=BIGINT_MAX,
        error_messages={
            "required": _("Say which question this is for."),
            "invalid": _("Say which question this is for."),
        },
    )


class AnswerForm(forms.Form):
    """One question's answer, and (practice) whether the learner flagged it."""

    flagged = forms.BooleanField(required=False)

    def __init__(self, question: Question, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.question = question
        self.fields["answer"] = answer_field(question)

    def inputs(self) -> ChoiceInputs:
        return ChoiceInputs(self.question, self["answer"], submitted_ids(self.question, self["answer"]))

    def selected(self) -> set[int]:
        return selected_ids(self.cleaned_data["answer"])


class FlagForm(forms.Form):
    flagged = forms.BooleanField(required=False)


# The longest time taken a review records: a tab left open overnight says nothing about recall.
MAX_REVIEW_DURATION_MS = 10 * 60 * 1000


class ReviewForm(forms.Form):
    """Answer a review card; once the answer has been checked, rate how it went (rate=True)."""

    duration_ms = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    rating = forms.TypedChoiceField(
        choices=Rating.choices,
        coerce=int,
        error_messages={
            "required": _("Choose how it went: Again, Hard, Good or Easy."),
            "invalid_choice": _("Choose how it went: Again, Hard, Good or Easy."),
        },
    )

    def __init__(self, question: Question, *args: Any, rate: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.question = question
        self.fields["answer"] = answer_field(question)
        if not rate:
            del self.fields["rating"]

    def inputs(self) -> ChoiceInputs:
        return ChoiceInputs(self.question, self["answer"], submitted_ids(self.question, self["answer"]))

    def selected(self) -> set[int]:
        return selected_ids(self.cleaned_data["answer"])

    def duration(self) -> int | None:
        value = self.cleaned_data.get("duration_ms")
        return None if value is None else min(value, MAX_REVIEW_DURATION_MS)


class StudySettingsForm(forms.ModelForm[User]):
    """The learner's desired retention and daily limits (kept on their profile)."""

    desired_retention = forms.FloatField(
        label=_("Desired retention"),
        min_value=0.70,
        max_value=0.97,
        step_size=0.01,
        help_text=User._meta.get_field("desired_retention").help_text,
        error_messages={
            "min_value": _("Choose a retention from 0.70 to 0.97."),
            "max_value": _("Choose a retention from 0.70 to 0.97."),
        },
    )

    class Meta:
        model = User
        fields = ("desired_retention", "new_cards_per_day", "reviews_per_day")
