"""The default domains of satisfaction that ratings are grouped and reported by.

The list is Berry and Brodeur's ten domains. Each organisation starts with a copy and may rename,
drop or add domains; the keys below are what the built-in templates bind their questions to.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class DomainSpec:
    """Describe one domain of satisfaction: a stable key, a display name and what it covers."""

    key: str
    name: str
    description: str


DEFAULT_DOMAINS: tuple[DomainSpec, ...] = (
    DomainSpec(
        "quality",
        "Quality",
        "How well the product or service itself meets the customer's needs.",
    ),
    DomainSpec(
        "value",
        "Value",
        "Whether what the customer receives is worth what they pay.",
    ),
    DomainSpec(
        "timeliness",
        "Timeliness",
        "Whether service arrives when promised, without needless waiting.",
    ),
    DomainSpec(
        "efficiency",
        "Efficiency",
        "How smoothly things get done, without errors, wasted steps or repeat contacts.",
    ),
    DomainSpec(
        "ease_of_access",
        "Ease of access",
        "How easy it is to reach us, find what is needed and get served.",
    ),
    DomainSpec(
        "environment",
        "Environment",
        "The atmosphere, comfort and cleanliness of the place where the customer is served.",
    ),
    DomainSpec(
        "teamwork",
        "Inter-departmental teamwork",
        "How well departments work together so the customer is not passed from one to another.",
    ),
    DomainSpec(
        "frontline_behaviours",
        "Front-line service behaviours",
        "The courtesy, care and competence of the people who serve the customer.",
    ),
    DomainSpec(
        "commitment",
        "Commitment to the customer",
        "Whether the organisation keeps its promises and goes out of its way for the customer.",
    ),
    DomainSpec(
        "innovation",
        "Innovation",
        "Whether the organisation keeps finding new and better ways to serve.",
    ),
)

DEFAULT_DOMAIN_KEYS: frozenset[str] = frozenset(domain.key for domain in DEFAULT_DOMAINS)
