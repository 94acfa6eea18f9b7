"""The survey templates every organisation can start from.

Each template is a plain definition dict, exactly what ``parse_definition`` reads, so a new
survey is a copy of one of these that the designer then edits. Only the headline questions are
required: every compulsory question costs answers from people in a hurry.
"""

import copy
import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from heedback.surveys.domains import DEFAULT_DOMAINS

SurveyKind = Literal["customer", "employee", "self_assessment"]

POOR_TO_EXCELLENT = ("Very poor", "Excellent")
DISSATISFIED_TO_SATISFIED = ("Very dissatisfied", "Very satisfied")
POORLY_TO_WELL = ("Very poorly", "Very well")


@dataclass(frozen=True)
class Template:
    """Name a ready-made survey and hold its definition as stored JSON."""

    key: str
    name: str
    description: str
    kind: SurveyKind
    definition: dict[str, Any]


def _nps(text: str, key: str = "nps") -> dict[str, Any]:
    return {"key": key, "type": "nps", "text": text, "required": True}


def _rating(
    key: str,
    text: str,
    *,
    domain: str | None = None,
    labels: tuple[str, str] = POOR_TO_EXCELLENT,
    required: bool = False,
    help_text: str = "",
) -> dict[str, Any]:
    question: dict[str, Any] = {
        "key": key,
        "type": "rating",
        "text": text,
        "required": required,
        "scale": {"min": 1, "max": 5, "min_label": labels[0], "max_label": labels[1]},
    }
    if domain is not None:
        question["domain"] = domain
    if help_text:
        question["help"] = help_text
    return question


def _text(key: str, text: str, *, show_if: dict[str, Any] | None = None) -> dict[str, Any]:
    question: dict[str, Any] = {"key": key, "type": "text", "text": text}
    if show_if is not None:
        question["show_if"] = show_if
    return question


def _comment(text: str = "Is there anything else you would like to tell us?") -> dict[str, Any]:
    return _text("comment", text)


RECOMMEND_US = "How likely are you to recommend us to a friend or colleague?"

POST_SERVICE = Template(
    key="post_service",
    name="After a service visit",
    description=(
        "A short follow-up after a service call or visit: did we fix the problem, "
        "how fast and how well were you served."
    ),
    kind="customer",
    definition={
        "title": "How did we do?",
        "intro": "Thank you for letting us help you. This takes about a minute.",
        "kind": "customer",
        "questions": [
            _nps(RECOMMEND_US),
            _rating(
                "satisfaction",
                "Overall, how satisfied are you with the service you received?",
                labels=DISSATISFIED_TO_SATISFIED,
                required=True,
            ),
            {
                "key": "problem_resolved",
                "type": "yes_no",
                "text": "Was your problem resolved?",
                "required": True,
            },
            _rating(
                "timeliness",
                "How satisfied are you with how quickly we dealt with it?",
                domain="timeliness",
                labels=DISSATISFIED_TO_SATISFIED,
            ),
            _rating(
                "staff",
                "How satisfied are you with the way our staff treated you?",
                domain="frontline_behaviours",
                labels=DISSATISFIED_TO_SATISFIED,
            ),
            _text(
                "improvement",
                "What could we have done better?",
                show_if={"question": "problem_resolved", "equals": False},
            ),
            _comment(),
        ],
    },
)

HOTEL_STAY = Template(
    key="hotel_stay",
    name="Hotel stay card",
    description="The card left in the room or handed over at check-out, also printed as a QR code.",
    kind="customer",
    definition={
        "title": "How was your stay?",
        "intro": "Your answers go straight to the team who looked after you.",
        "kind": "customer",
        "questions": [
            _rating(
                "staff",
                "How well did our staff take care of your needs?",
                domain="frontline_behaviours",
                labels=POORLY_TO_WELL,
            ),
            _rating(
                "room_cleanliness",
                "How would you rate the cleanliness of your room?",
                domain="environment",
            ),
            _rating(
                "food_quality",
                "How would you rate the quality of the food?",
                domain="quality",
                help_text="Skip this if you did not eat with us.",
            ),
            _nps("How likely are you to recommend our hotel to a friend or colleague?"),
            _comment("Is there anything that would make your next stay better?"),
        ],
    },
)

BUSINESS_REVIEW = Template(
    key="business_review",
    name="Business relationship review",
    description=(
        "A periodic review for business clients of how we work with them: initiative, "
        "availability, timeliness and understanding of their issues."
    ),
    kind="customer",
    definition={
        "title": "How are we doing as your partner?",
        "intro": "Your answers go to your account team and its manager.",
        "kind": "customer",
        "questions": [
            _rating(
                "initiative",
                "How would you rate our initiative in offering you advice?",
                domain="commitment",
            ),
            _rating(
                "availability",
                "How would you rate our availability for calls and meetings?",
                domain="ease_of_access",
            ),
            _rating(
                "timeliness",
                "How would you rate the timeliness of our work?",
                domain="timeliness",
            ),
            _rating(
                "understanding",
                "How well do we understand the issues your business faces?",
                domain="frontline_behaviours",
                labels=POORLY_TO_WELL,
            ),
            _nps("How likely are you to recommend us to a business colleague?"),
            _comment("What one thing could we do to serve you better?"),
        ],
    },
)

# One customer-facing wording per default domain; the self-assessment asks about the same
# domains from the inside so the two can be compared key by key.
CUSTOMER_DOMAIN_QUESTIONS = {
    "quality": "How would you rate the quality of what we provide?",
    "value": "How would you rate the value you get for what you pay?",
    "timeliness": "How would you rate how quickly we serve you?",
    "efficiency": "How would you rate how smoothly we get things done for you?",
    "ease_of_access": "How would you rate how easy it is to reach us?",
    "environment": "How would you rate the atmosphere of the places where we serve you?",
    "teamwork": "How would you rate how well our departments work together for you?",
    "frontline_behaviours": "How would you rate the way our staff treat you?",
    "commitment": "How would you rate our commitment to you as a customer?",
    "innovation": "How would you rate our efforts to find new and better ways to serve you?",
}

SELF_ASSESSMENT_DOMAIN_QUESTIONS = {
    "quality": "How well do we deliver on quality?",
    "value": "How well do we deliver on value for money?",
    "timeliness": "How well do we deliver on timeliness?",
    "efficiency": "How well do we deliver on efficiency?",
    "ease_of_access": "How well do we deliver on ease of access?",
    "environment": "How well do we deliver on the atmosphere where customers are served?",
    "teamwork": "How well do we deliver on teamwork between departments?",
    "frontline_behaviours": "How well do we deliver on the way front-line staff treat customers?",
    "commitment": "How well do we deliver on our commitment to customers?",
    "innovation": "How well do we deliver on new and better ways to serve?",
}

TEN_DOMAINS = Template(
    key="ten_domains",
    name="Ten domains of satisfaction",
    description=(
        "One rating for each of the ten domains of satisfaction, with NPS, to see which "
        "domains drive loyalty."
    ),
    kind="customer",
    definition={
        "title": "Tell us how we are doing",
        "intro": "Ten quick ratings. Skip any that do not apply to you.",
        "kind": "customer",
        "questions": [
            *(
                _rating(domain.key, CUSTOMER_DOMAIN_QUESTIONS[domain.key], domain=domain.key)
                for domain in DEFAULT_DOMAINS
            ),
            _nps(RECOMMEND_US),
            _comment(),
        ],
    },
)

SELF_ASSESSMENT = Template(
    key="self_assessment",
    name="Service self-assessment",
    description=(
        "Staff rate their own delivery on the ten domains, so the gap with what customers "
        "say can be shown domain by domain."
    ),
    kind="self_assessment",
    definition={
        "title": "How well do we serve our customers?",
        "intro": (
            "Rate your own team as honestly as you can. Customers rate the same areas, "
            "and the comparison is only useful if we do not flatter ourselves."
        ),
        "kind": "self_assessment",
        "questions": [
            *(
                _rating(
                    domain.key,
                    SELF_ASSESSMENT_DOMAIN_QUESTIONS[domain.key],
                    domain=domain.key,
                    labels=POORLY_TO_WELL,
                    help_text=domain.description,
                )
                for domain in DEFAULT_DOMAINS
            ),
            _comment("What would most improve the service we give?"),
        ],
    },
)

EMPLOYEE_PULSE = Template(
    key="employee_pulse",
    name="Employee pulse",
    description=(
        "A short, regular check on how well staff are equipped to serve customers: "
        "eNPS, training, authority, tools and recognition."
    ),
    kind="employee",
    definition={
        "title": "How is work going?",
        "intro": "Two minutes on how well you are equipped to serve our customers.",
        "kind": "employee",
        "questions": [
            _nps("How likely are you to recommend working here to a friend?", key="enps"),
            _rating(
                "training",
                "How well has your training prepared you to serve customers?",
                labels=POORLY_TO_WELL,
            ),
            _rating(
                "authority",
                "How free are you to fix a customer's problem without asking permission?",
                labels=("Not at all free", "Completely free"),
            ),
            _rating(
                "tools",
                "How well do your tools and systems help you serve customers?",
                labels=POORLY_TO_WELL,
            ),
            _rating(
                "recognition",
                "How often is good work recognised here?",
                labels=("Never", "Always"),
            ),
            _comment("What one change would most help you serve customers better?"),
        ],
    },
)

WIN_BACK = Template(
    key="win_back",
    name="Win back a lapsed customer",
    description="Sent to customers who have stopped coming, to learn why and invite them back.",
    kind="customer",
    definition={
        "title": "We have missed you",
        "intro": "We noticed we have not seen you for a while. Would you tell us why?",
        "kind": "customer",
        "questions": [
            {
                "key": "reasons",
                "type": "multi_choice",
                "text": "Why did you stop coming?",
                "help": "Choose all that apply.",
                "required": True,
                "options": [
                    {"key": "price", "label": "The price"},
                    {"key": "quality", "label": "The quality of what we offer"},
                    {"key": "service", "label": "The service I received"},
                    {"key": "moved", "label": "I moved or no longer need it"},
                    {"key": "competitor", "label": "I found another provider"},
                    {"key": "other", "label": "Another reason"},
                ],
            },
            _text(
                "other_reason",
                "What was the other reason?",
                show_if={"question": "reasons", "equals": "other"},
            ),
            {
                "key": "would_return",
                "type": "yes_no",
                "text": "Would you consider coming back?",
            },
            _comment(),
        ],
    },
)

TEMPLATES: dict[str, Template] = {
    template.key: template
    for template in (
        POST_SERVICE,
        HOTEL_STAY,
        BUSINESS_REVIEW,
        TEN_DOMAINS,
        EMPLOYEE_PULSE,
        WIN_BACK,
        SELF_ASSESSMENT,
    )
}


def get_template(key: str) -> Template:
    """Return the template with ``key`` holding its own copy of the definition.

    The copy lets a caller edit the definition into a new survey without changing the
    template for everyone else. Raise KeyError for an unknown key.
    """
    template = TEMPLATES[key]
    return dataclasses.replace(template, definition=copy.deepcopy(template.definition))
