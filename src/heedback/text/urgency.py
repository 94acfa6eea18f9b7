"""Urgency: the rules that put a comment in front of a person now, each with its reason.

Rules, not a model, because a flag must be explainable ("threatens a regulator: 'I will
report this to the CAA'") and because a missed flag is worse than a slow one: every rule
names the phrase that fired. English only for now; other languages are not flagged.
The patterns were written before the labelled sample (bench/data/) was read; its README
tells how that sample was labelled and docs/text-quality.md how well these rules do on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from heedback.text.choices import UrgencyReason

URGENCY_LANGUAGES = frozenset({"en"})
_GAP = r"(?:\W+\w+){0,4}?\W+"  # up to four words between two parts of a phrase
_LONG_GAP = r"(?:\W+\w+){0,8}?\W+"
_BUSINESS_WORDS = (
    r"fly|flying|flown|book|booking|use|using|travel|travelling|traveling|stay|staying|"
    r"choose|choosing|come back|coming back|return|returning|go back|shop|shopping|order|"
    r"ordering|buy|buying|visit|visiting|recommend"
)
_BUSINESS = rf"(?:{_BUSINESS_WORDS})"
# Using a company again, for "not ... again"; no "recommend": "would not recommend" is not urgent.
_USE = (
    r"(?:fly|flying|flown|book|booking|use|using|travel|travelling|traveling|stay|staying|"
    r"choose|choosing|select|return|returning|pay|paying|consider|considering|bother|repeat|"
    r"go|going|visit|visiting|try|trying)"
)
# Words between a negation and the verb that turn the meaning: "would not hesitate to fly".
_NO_TURN = (
    r"(?:[^\w.!?;]+(?!(?:hesitate|wait|fault|regret|mind|deter\w*|put|stop|prevent|but|and|"
    r"if|because)\b)\w+){0,5}?[^\w.!?;]+"
)


def _rules(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern, re.IGNORECASE) for pattern in patterns)


RULES: dict[str, tuple[re.Pattern[str], ...]] = {
    UrgencyReason.NEVER_AGAIN: _rules(
        r"\bnever again\b",
        rf"\bnever\b{_LONG_GAP}again\b",
        r"\bnever (?:again )?will (?:I|we)\b",
        rf"\b(?:will|would|shall|I'?ll|we'?ll) never\W+(?:ever\W+)?{_BUSINESS}\b",
        r"\bnever (?:ever )?(?:fly|use|book|travel|stay|choose) (?:with )?(?:them|this|that|it)\b",
        r"\bavoid (?:this|that|them|it)\w*(?:\W+\w+){0,3}? (?:at all costs|like the plague|"
        r"in (?:the )?future)\b",
        r"\bavoid at all costs?\b",
        # Added after the development half of the sample (bench/data/README.md):
        r"\b(?:I|we)(?:'ll| will| would| shall| am going to| are going to)?(?: try(?: and| to))? "
        r"(?:avoid|stay away from)\b",
        r"(?:^|[.!?]\s+)avoid\b",
        r"\b(?:will|'ll|would|shall) (?:try (?:and |to )?)?(?:avoid|stay away from)\b",
        r"\b(?:go|fly|book) (?:somewhere|elsewhere|with (?:another|a different) airline)\b",
        r"\b(?:choose|chose|pick|try|book) (?:another|a different) (?:one|airline|lounge|hotel)\b",
        r"\b(?:last|final) time (?:I|we) (?:will |would |'?ll )?" + _BUSINESS + r"\b",
        # Added after reading reviews outside the labelled sample (bench/data/README.md):
        # a negation, then the use of the company, then "again", in one sentence.
        rf"(?:\b(?:not|never|nor|doubt|cannot|no way)|n't)\b{_NO_TURN}{_USE}\b"
        r"[^.!?;]{0,80}?\bagain\b",
        rf"\b(?:long|cold) (?:\w+ )?(?:time|day) (?:\w+ )?before (?:I|we)\b{_NO_TURN}{_USE}\b",
        r"\brather\b[^.!?;]{0,60}\bthan\b[^.!?;]{0,60}\bever again\b",
        r"\bonly (?:\w+ )?(?:them|it|this|\w+) again if\b",
        r"\b(?:as a|only as a|the) last resort\b",
        r"\blike the plague\b",
        r"\bavoid(?:ing|ed)?(?: flying| using| booking| travell?ing)?(?: with)? "
        r"(?-i:[A-Z][A-Za-z]+)(?!\w)(?<!Wifi)",
        r"\b(?:avoid|avoiding) (?:flying|using|booking|travell?ing|this \w+|these \w+)"
        r"(?:\W+\w+){0,6}? (?:at all costs|if (?:at all |you can|possible)|again)\b",
        r"^\W*(?:try to |best to )?avoid\W*$|\bif you can avoid\b",
        r"\b(?:I|we)(?:'d| would| will|'ll)? (?:actively |definitely |certainly )?"
        r"(?:be )?avoid(?:ing)?\b",
        rf"(?:do not|don't|won't|will not|no longer) {_USE}(?:\W+\w+){{0,4}}? ?any ?more\b",
        r"\bin (?:the )?future,? (?:I|we) (?:will|'ll|shall|would) (?:not|never)\b",
        r"\bfly (?:with )?(?:either )?(?:another|a different|other) (?:airline|carrier)s?\b",
        # Third round, from reviews outside the labelled sample (bench/data/README.md):
        r"\bfirst and (?:the )?last (?:time|flight|trip|visit|stay)\b",
        r"\b(?:this )?(?:will|would) be (?:my|our) last (?:time|flight|trip|visit|stay)\b",
        r"\b(?:won'?t|will not|shan'?t) be (?:back|returning|coming back)\b",
        r"\bgive (?:this|that|the) (?:\w+ ){0,2}a (?:wide )?miss\b",
        r"\bdo yourself a favou?r\b",
        r"\b(?:preferably |simply |just )?never (?:ever )?(?:fly|choose|book|use|select) "
        r"(?:with )?(?-i:[A-Z])",
    ),
    UrgencyReason.LEAVING: _rules(
        # Added after reading reviews outside the labelled sample (bench/data/README.md):
        r"\b(?:look(?:ing)?|search(?:ing)?|seek(?:ing)?|find|found) (?:for |to )?(?:an? )?"
        r"(?:alternatives?|other (?:airline|carrier|lounge|hotel|option)s?|"
        r"(?:an )?(?:other|alternative|different) (?:airline|carrier)s?)\b",
        r"\bgive (?:other|another|a different) \w+ (?:my|our) (?:business|custom|money)\b",
        r"\bgiv(?:e|ing) my (?:business|custom) to\b",
        r"\bshop(?:ping)? around\b",
        r"\blook(?:ing)? elsewhere\b",
        r"\bswitch(?:ing)? to (?-i:[A-Z])",
        r"\b(?:stop|quit) (?:using|flying|booking|visiting)\b",
        r"\bcancel+(?:ing|ed)? (?:my|our) (?:membership|subscription|account|contract|"
        r"booking|reservation|card|order|plan)\b",
        r"\bclos(?:e|ing) (?:my|our) account\b",
        r"\btak(?:e|ing) (?:my|our) (?:business|custom|money) elsewhere\b",
        r"\b(?:switch|switching|move|moving) to (?:a |an )?(?:another|different|competitor|"
        r"other)\b",
        r"\b(?:will|I'?ll|we'?ll|shall|going to) (?:be )?(?:fly|flying|book|booking|use|using|"
        r"travel|travelling|traveling|stay|staying) (?:with )?(?:another|other|a different)\b",
        rf"\b(?:won'?t|will not|shan'?t|wouldn'?t|would not) (?:be )?{_BUSINESS}"
        r"(?:\W+\w+){0,3}? again\b",
        r"\b(?:lost|losing) (?:a|one|another|two) (?:loyal |regular |frequent |good )*"
        r"(?:customers?|passengers?|flyers?|guests?|clients?)\b",
        r"\b(?:leaving|left|quit(?:ting)?) (?:your|their|the) (?:loyalty|frequent flyer)\b",
    ),
    UrgencyReason.PUBLIC: _rules(
        r"\b(?:post|posting|share|sharing|put|putting) (?:this|it|my \w+)(?:\W+\w+){0,3}? "
        r"(?:on|to|all over) (?:facebook|twitter|instagram|tiktok|social media|tripadvisor|"
        r"trustpilot|yelp|google|the internet|every)\b",
        r"\btell(?:ing)? (?:all|every one|everyone|everybody)(?: of)? (?:my|I know|who)\b",
        r"\bwarn(?:ing)? (?:others|everyone|everybody|all|other (?:travell?ers|passengers|"
        r"customers|guests|people))\b",
        r"\b(?:contact|contacting|go to|going to|write to|writing to|tell) the "
        r"(?:press|media|newspapers?|papers|bbc|watchdog)\b",
    ),
    UrgencyReason.LEGAL: _rules(
        r"\b(?:lawyers?|solicitors?|attorneys?|legal action|lawsuit|law suit|small claims|"
        r"ombudsman|trading standards|consumer protection|consumer rights|chargeback)\b",
        r"\b(?:sue|suing)\b(?! me)",
        r"\btak(?:e|ing) (?:you|them|this|it|the matter) to (?:court|tribunal)\b",
        r"\b(?:report|reporting|complain|complaint|complaining)(?:\W+\w+){0,4}? (?:to|with) "
        r"(?:the )?(?:CAA|FAA|DOT|civil aviation|department of transport\w*|regulator|"
        r"authorities|police|health (?:department|inspector)|council|EU commission)\b",
        r"\bEU ?261\b|\bEC ?261\b|\bregulation 261\b",
        r"\b(?:under|in|raised a|filed a) dispute\b|\bdisput(?:e|ed|ing) (?:the|a|my|this) "
        r"(?:charge|payment|transaction)\b",
    ),
    UrgencyReason.SAFETY: _rules(
        r"\bfood poisoning\b",
        r"\b(?:made|making) (?:me|us|my \w+|him|her) (?:sick|ill|vomit)\b",
        r"\b(?:got|became|fell|was|were) (?:violently |very )?(?:sick|ill)\b",
        r"\b(?:injur(?:y|ies|ed)|hurt (?:my|his|her|their)|bleeding|concussion|burn(?:ed|t) "
        r"(?:my|his|her))\b",
        r"\ballergic reaction\b|\banaphyla\w+\b|\b(?:nut|peanut|gluten) allerg\w+\b",
        r"\b(?:unsafe|dangerous|hazard(?:ous)?|fire hazard|not safe|safety (?:risk|issue|"
        r"concern|problem|hazard))\b",
        r"\b(?:smell of (?:smoke|burning|gas|fuel)|fire (?:alarm|broke)|caught fire)\b",
        r"\b(?:cockroach(?:es)?|bed ?bugs|rats?|mice|mould|mold|insects? in)\b",
        r"\b(?:ambulance|paramedics?|hospital|A&E|emergency room|first aid)\b",
        r"\b(?:fainted|collapsed|pass(?:ed)? out|choking)\b",
        r"\bsickness\b(?! bags?)",
    ),
    UrgencyReason.DISCRIMINATION: _rules(
        r"\b(?:racis[tm]|racially|sexis[tm]|homophob\w*|transphob\w*|xenophob\w*|"
        r"discriminat\w+|bigot\w*|prejudice\w*)\b",
        r"\b(?:harass\w*|assault\w*|groped|molested|sexual(?:ly)? (?:comments?|advances?))\b",
        r"\b(?:verbally|physically) (?:abused|abusive|attacked|assaulted|threatened)\b",
        r"\b(?:shouted|screamed|yelled|swore) at (?:me|us|my|him|her|them|passengers)\b",
        r"\b(?:threatened|threatening|intimidat\w+|humiliat\w+|abusive)\b",
        r"\bbecause (?:I am|I'm|we are|we're|she is|he is|she's|he's) (?:black|asian|"
        r"disabled|a woman|muslim|jewish|gay|old|foreign|in a wheelchair)\b",
    ),
}

# Cheap substrings without which no rule of a reason can match: a text is searched with a
# reason's patterns only if it holds one of them (five times faster on long reviews).
TRIGGERS: dict[str, tuple[str, ...]] = {
    UrgencyReason.NEVER_AGAIN: (
        "never",
        "avoid",
        "last time",
        "final time",
        "somewhere",
        "elsewhere",
        "another",
        "different",
        "stay away",
        "again",
        "before",
        "resort",
        "plague",
        "more",
        "future",
        "fly",
        "last",
        "back",
        "miss",
        "favo",
        "returning",
        "coming back",
    ),
    UrgencyReason.LEAVING: (
        "cancel",
        "clos",
        "elsewhere",
        "switch",
        "mov",
        "other",
        "different",
        "n't",
        "not ",
        "lost ",
        "losing",
        "leaving",
        "left ",
        "quit",
        "alternative",
        "business",
        "custom",
        "shop around",
        "shopping around",
        "look",
        "stop",
    ),
    UrgencyReason.PUBLIC: (
        "post",
        "shar",
        "put",
        "tell",
        "warn",
        "press",
        "media",
        "paper",
        "bbc",
        "watchdog",
    ),
    UrgencyReason.LEGAL: (
        "lawyer",
        "solicitor",
        "attorney",
        "legal",
        "law suit",
        "lawsuit",
        "small claims",
        "ombudsman",
        "trading standards",
        "consumer",
        "chargeback",
        "sue",
        "suing",
        "court",
        "tribunal",
        "report",
        "complain",
        "261",
        "disput",
    ),
    UrgencyReason.SAFETY: (
        "poison",
        "sick",
        "ill",
        "injur",
        "hurt",
        "bleed",
        "concussion",
        "burn",
        "allerg",
        "anaphyla",
        "unsafe",
        "danger",
        "hazard",
        "not safe",
        "safety",
        "smell",
        "fire",
        "cockroach",
        "bug",
        "rat",
        "mice",
        "mould",
        "mold",
        "insect",
        "ambulance",
        "paramedic",
        "hospital",
        "a&e",
        "emergency room",
        "first aid",
        "faint",
        "collapse",
        "pass",
        "chok",
    ),
    UrgencyReason.DISCRIMINATION: (
        "racis",
        "racial",
        "sexis",
        "phob",
        "discriminat",
        "bigot",
        "prejudice",
        "harass",
        "assault",
        "grope",
        "molest",
        "sexual",
        "verbal",
        "physical",
        "shout",
        "scream",
        "yell",
        "swore",
        "threat",
        "intimidat",
        "humiliat",
        "abusive",
        "because",
    ),
}

# Phrases that look like a safety rule but are not an incident (seats by the emergency exit).
NOT_SAFETY = re.compile(
    r"\b(?:emergency (?:exit|row|door)s?|exit row|safety (?:video|demonstration|demo|card|"
    r"briefing|instructions?)|first aid kit)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class UrgencyFlag:
    """One reason a text is urgent and the phrase that fired it (offsets into the text)."""

    reason: str
    start: int
    end: int


def urgency_flags(text: str) -> list[UrgencyFlag]:
    """Return every reason ``text`` needs a person now: one flag per reason, first match."""
    flags = []
    lowered = text.lower()
    for reason, patterns in RULES.items():
        if not any(trigger in lowered for trigger in TRIGGERS[reason]):
            continue
        for pattern in patterns:
            match = _first_match(pattern, text, reason)
            if match is not None:
                flags.append(UrgencyFlag(str(reason), match.start(), match.end()))
                break
    return flags


def _first_match(pattern: re.Pattern[str], text: str, reason: str) -> re.Match[str] | None:
    for match in pattern.finditer(text):
        if reason == UrgencyReason.SAFETY and _is_exception(text, match):
            continue
        return match
    return None


def _is_exception(text: str, match: re.Match[str]) -> bool:
    """Return whether the match lies inside a phrase that only looks like an incident."""
    return any(
        exception.start() <= match.start() < exception.end()
        for exception in NOT_SAFETY.finditer(text)
    )
