"""The temperament quiz page a customer reaches from the thanks page of an invitation.

The link carries the customer's number signed with the secret key (``quiz_token``), valid
a week; the page asks four questions and sets the temperament from the answers. Staff
then see on the customer's page and on their cases how to talk to them.
"""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from heedback.core.errors import ServiceError
from heedback.customers import quiz, services
from heedback.customers.models import Customer

QUIZ_SALT = "heedback.customers.quiz"
QUIZ_MAX_AGE = 7 * 24 * 3600


def quiz_token(customer: Customer) -> str:
    """Return the signed token of a customer's quiz link."""
    return signing.dumps(customer.pk, salt=QUIZ_SALT, compress=True)


def quiz_url(customer: Customer) -> str:
    return reverse("temperament-quiz", args=[quiz_token(customer)])


def _customer(token: str) -> Customer | None:
    try:
        customer_id = signing.loads(token, salt=QUIZ_SALT, max_age=QUIZ_MAX_AGE)
    except signing.BadSignature:
        return None
    customer = Customer.objects.select_related("organisation").filter(pk=customer_id).first()
    return customer if customer is not None and customer.is_active else None


def _private(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    return response


def temperament_quiz(request: HttpRequest, token: str) -> HttpResponse:
    """Ask the four questions; store the temperament they point to."""
    customer = _customer(token)
    if customer is None:
        return _private(render(request, "customers/quiz_unknown.html", status=404))
    answers = {question.key: request.POST.get(question.key, "") for question in quiz.QUESTIONS}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            services.record_quiz(customer, answers)
        except ServiceError as error:
            errors = error.errors
        else:
            return _private(
                render(
                    request, "customers/quiz_thanks.html", {"organisation": customer.organisation}
                )
            )
    context = {
        "organisation": customer.organisation,
        "questions": [
            {
                "question": question,
                "options": list(question.options.items()),
                "chosen": answers[question.key],
                "errors": errors.get(question.key, []),
            }
            for question in quiz.QUESTIONS
        ],
        "errors": errors,
    }
    return _private(render(request, "customers/quiz.html", context, status=422 if errors else 200))
