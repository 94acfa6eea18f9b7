"""Comments for the demo data, composed from fragments that read like real ones.

A comment is built from the topics a respondent felt most strongly about: the domains they
perceived worst give the complaints, the best give the praise, and the tone follows their
recommendation score. So the text agrees with the numbers, a sentiment model has something
true to find, and themes cluster where the data says a hotel is weak (noise in Brighton,
parking in Leeds). Fragments are clauses ("the room was tired") that the writer joins into
sentences ("Lovely staff but the room was tired."), so comments rarely repeat.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Tone = Literal["positive", "mixed", "negative"]

# How strongly a perception steers which topic a respondent writes about.
TOPIC_FOCUS = 1.5


def tone_of(score: int) -> Tone:
    """Return the tone a 0–10 recommendation score writes in: promoter, passive, detractor."""
    if score >= 9:
        return "positive"
    if score >= 7:
        return "mixed"
    return "negative"


@dataclass(frozen=True)
class Topic:
    """Something people write about, tied to the domain (or item) whose perception drives it."""

    domain: str
    praise: tuple[str, ...]
    complaints: tuple[str, ...]
    weight: float = 1.0
    is_minor: bool = False  # its complaints can be a happy guest's small niggle


# --- hotel stays ----------------------------------------------------------------------------
# Placeholders: {desk}, {housekeeper} and {waiter} are staff of the hotel, {city} its town.

STAY_TOPICS: dict[str, Topic] = {
    "staff": Topic(
        "frontline_behaviours",
        (
            "the staff could not have been more helpful",
            "everyone we met was warm and welcoming",
            "the team went out of their way to make us feel at home",
            "the staff were friendly without being over the top",
            "nothing was too much trouble for the staff",
            "the staff remembered our names from the first evening",
        ),
        (
            "the receptionist was curt and made us feel like a nuisance",
            "the staff seemed more interested in chatting to each other than helping",
            "hardly anyone smiled the whole time we were there",
            "the man on the desk in the evening was frankly rude",
            "we were made to feel that our complaint was an inconvenience",
            "the staff were clearly overstretched and it showed",
        ),
        weight=1.6,
    ),
    "named_staff": Topic(
        "frontline_behaviours",
        (
            "{desk} at reception was a star",
            "{desk} on the front desk sorted everything for us with a smile",
            "{waiter} in the restaurant looked after us brilliantly",
            "special thanks to {waiter}, who remembered my allergy every morning",
            "{housekeeper} from housekeeping left a lovely note for our daughter",
            "{desk} on reception gave us great tips for {city}",
            "please pass on our thanks to {desk}, who was brilliant",
            "{waiter} made our anniversary dinner feel really special",
            "{housekeeper} kept our room immaculate and always said hello",
        ),
        (),
        weight=1.2,
    ),
    "cleanliness": Topic(
        "environment",
        (
            "the room was spotless",
            "everything was spotlessly clean",
            "the bathroom was sparkling",
            "housekeeping did a fantastic job every day",
            "the bedding was crisp and fresh",
        ),
        (
            "the room was not clean when we arrived",
            "there was hair in the shower",
            "the carpet was stained and the skirting boards were dusty",
            "the bathroom had mould around the bath",
            "the room smelt musty",
            "our room was not serviced on the second day",
            "we found someone else's rubbish under the bed",
        ),
        weight=1.6,
    ),
    "room": Topic(
        "environment",
        (
            "the room was comfortable and beautifully decorated",
            "our room was bigger than we expected",
            "the room had everything we needed",
            "there were lovely touches in the room, like fresh milk for the tea",
        ),
        (
            "the room was tired and needs a refresh",
            "the furniture was worn and the curtains did not close properly",
            "the room was tiny for the price",
            "the heating could not be turned down and the room was stifling",
            "the room was freezing and the radiator did not work",
            "the decor is very dated",
        ),
    ),
    "noise": Topic(
        "environment",
        (
            "the room was lovely and quiet",
            "we slept really well, not a sound all night",
        ),
        (
            "it was very noisy at night",
            "we could hear every word from the room next door",
            "music from the bar kept us awake until 1am",
            "the noise from the street was unbearable",
            "a party in the corridor woke us at 3am",
            "the air conditioning unit rattled all night",
        ),
        weight=0.8,
        is_minor=True,
    ),
    "bed": Topic(
        "environment",
        (
            "the bed was incredibly comfortable",
            "it was the best night's sleep I have had in ages",
            "the pillows were lovely",
        ),
        (
            "the mattress was lumpy and sagged in the middle",
            "the pillows were flat",
            "the bed creaked every time we moved",
        ),
        weight=0.7,
        is_minor=True,
    ),
    "breakfast": Topic(
        "quality",
        (
            "breakfast was excellent",
            "the full English was one of the best I have had",
            "there was a great choice at breakfast, including proper gluten-free options",
            "the eggs Benedict at breakfast were superb",
            "the juice at breakfast was freshly squeezed and the coffee was good",
        ),
        (
            "breakfast was disappointing",
            "the hot food at breakfast was lukewarm",
            "breakfast had run out of half the buffet by half past eight",
            "we queued twenty minutes for a table at breakfast",
            "the coffee at breakfast was undrinkable",
            "the breakfast buffet was never replenished",
        ),
        weight=1.2,
        is_minor=True,
    ),
    "dinner": Topic(
        "quality",
        (
            "dinner in the restaurant was superb",
            "the food in the restaurant was delicious",
            "the Sunday roast was excellent",
            "the chef made a special dish for my son's allergy",
        ),
        (
            "dinner was overpriced and underwhelming",
            "our meal took over an hour to arrive",
            "my steak was overcooked and came back the same",
            "the restaurant menu was very limited",
            "the fish was bland and the chips were cold",
        ),
    ),
    "bar": Topic(
        "quality",
        (
            "the bar is a lovely place to unwind",
            "the cocktails in the bar were great",
        ),
        (
            "the bar closed early with no warning",
            "drinks in the bar were eye-wateringly expensive",
        ),
        weight=0.5,
        is_minor=True,
    ),
    "checkin": Topic(
        "timeliness",
        (
            "check-in was quick and easy",
            "we were in our room within five minutes of arriving",
            "they let us check in early, which was a real help",
        ),
        (
            "we waited forty minutes to check in",
            "there was only one person on reception and a long queue",
            "our room was not ready until gone 4pm",
            "check-out took ages because the bill was wrong",
            "the queue at reception on Friday evening was ridiculous",
        ),
        weight=1.1,
        is_minor=True,
    ),
    "parking": Topic(
        "ease_of_access",
        (
            "parking was easy",
            "it was handy to have parking on site",
        ),
        (
            "parking was a nightmare",
            "nobody told us the car park would cost £25 a night",
            "the car park was full and we had to park streets away",
            "the car park barrier did not work and nobody answered the intercom",
        ),
        weight=0.7,
        is_minor=True,
    ),
    "wifi": Topic(
        "ease_of_access",
        (
            "the wifi was fast and reliable",
            "the wifi worked well, which mattered as I was working",
        ),
        (
            "the wifi was painfully slow",
            "the wifi kept dropping out in the room",
            "we could not get any wifi on the top floor",
        ),
        weight=0.7,
        is_minor=True,
    ),
    "location": Topic(
        "ease_of_access",
        (
            "the location is perfect for exploring {city}",
            "the location is great, close to everything",
            "it is only a short walk from the station",
        ),
        (
            "the hotel was hard to find and the signs are poor",
            "the lift was out of order and we were on the fourth floor",
        ),
        weight=0.8,
        is_minor=True,
    ),
    "value": Topic(
        "value",
        (
            "it was excellent value for money",
            "it was worth every penny",
            "the price was very reasonable for what you get",
        ),
        (
            "it is far too expensive for what you get",
            "it was poor value for money",
            "we were charged extra for things that should be included",
            "the price had gone up by the time we booked a second night",
        ),
    ),
    "booking": Topic(
        "efficiency",
        (
            "everything was ready exactly as we had booked",
            "the bill was clear and correct",
        ),
        (
            "they had lost our booking",
            "we were charged twice for the room",
            "our twin room had been booked as a double",
            "the dinner reservation we made had not been recorded",
        ),
        weight=0.6,
    ),
    "teamwork": Topic(
        "teamwork",
        (
            "reception and the restaurant clearly talk to each other, as everyone knew it was "
            "our anniversary",
        ),
        (
            "reception said one thing and the restaurant said another",
            "we were passed from one department to another when we asked for a late check-out",
            "I reported the broken shower to reception and housekeeping never heard about it",
        ),
        weight=0.5,
    ),
    "extra_mile": Topic(
        "commitment",
        (
            "they left a birthday card and a bottle of fizz in the room, such a lovely touch",
            "they upgraded us without us asking",
            "when we left a charger behind they posted it back the same day",
            "they kept our table for us when our train was late",
        ),
        (
            "when we raised a problem nobody seemed to care",
            "the duty manager promised to call us back and never did",
            "we asked twice to see a manager and nobody came",
        ),
        weight=0.8,
    ),
    "innovation": Topic(
        "innovation",
        (
            "the online check-in saved us a lot of time",
            "being able to message reception from my phone was brilliant",
        ),
        (
            "the TV system is ancient and half the channels did not work",
            "there was no way to book a table online",
            "there are no USB sockets anywhere near the bed",
        ),
        weight=0.4,
        is_minor=True,
    ),
    "view": Topic(
        "environment",
        (
            "the view over the harbour from our room was stunning",
            "waking up to the sea view was magic",
        ),
        ("we paid for a sea view and got a view of the bins",),
        weight=0.0,  # only seaside hotels turn this on
    ),
    "spa": Topic(
        "environment",
        (
            "the spa was the highlight of our stay",
            "the pool and sauna were lovely and quiet",
        ),
        (
            "the pool was cold and the changing rooms were grubby",
            "the spa was fully booked for our whole stay",
        ),
        weight=0.0,  # only hotels with a spa turn this on
    ),
}

STAY_OPENERS: dict[Tone, tuple[str, ...]] = {
    "positive": (
        "What a fantastic stay!",
        "Absolutely loved it.",
        "Another great stay.",
        "Our first visit and hopefully not the last.",
        "We had a wonderful weekend.",
    ),
    "mixed": (
        "We stayed two nights for a wedding.",
        "Business trip, one night.",
        "Stayed three nights with the kids.",
        "Came for a weekend break.",
        "I stay here most weeks for work.",
        "Quick overnight stop on the way north.",
        "We were here for my husband's birthday.",
    ),
    "negative": (
        "Really disappointed.",
        "Not what we expected from a Harbour hotel.",
        "A very poor stay, sadly.",
        "I have stayed here before and it has gone downhill.",
    ),
}

STAY_CLOSERS: dict[Tone, tuple[str, ...]] = {
    "positive": (
        "We will definitely be back.",
        "Can't wait to come back.",
        "Would recommend to anyone.",
        "Thank you all!",
        "Keep up the good work.",
        "Five stars from us.",
    ),
    "mixed": (
        "Fix that and it would be perfect.",
        "Would probably stay again.",
        "Fine for a night or two.",
        "Good, but not quite what it could be.",
    ),
    "negative": (
        "We won't be coming back.",
        "Very disappointing for the price.",
        "I expected much better.",
        "Someone needs to sort this out.",
        "I hope the manager reads this.",
    ),
}

# The few comments that must reach a person today: health, safety, money, public complaints.
URGENT_SENTENCES: tuple[str, ...] = (
    "Two of us were ill the night after eating in the restaurant and I believe it was food "
    "poisoning.",
    "Never again.",
    "I will be posting about this on TripAdvisor.",
    "I want a full refund.",
    "I found bed bugs in the room and have bites all over my arms.",
    "Money was taken from our room while we were out.",
    "My mother slipped on the wet floor in the lobby and nobody came to help.",
    "The fire door on our corridor was propped open all night, which is dangerous.",
    "I will be taking this further with my solicitor.",
    "I am going to warn everyone I know not to stay here.",
)

MIXED_JOINS: tuple[str, ...] = ("{good} but {bad}", "{good}, although {bad}", "{good}; shame {bad}")
NIGGLES: tuple[str, ...] = (
    "The only thing I would say is that {bad}.",
    "One small niggle: {bad}.",
    "If I'm being picky, {bad}.",
)
CONCESSIONS: tuple[str, ...] = (
    "To be fair, {good}, but that did not make up for it.",
    "{good}, but {bad}.",
    "I will say {good}, but {bad}.",
)

# --- service requests -----------------------------------------------------------------------
# Placeholders: {item} is what the guest asked for, {helper} a member of that department.

SERVICE_ITEMS: dict[str, tuple[str, ...]] = {
    "Front desk": (
        "a late check-out",
        "a taxi to the station",
        "a quieter room",
        "a copy of my invoice",
        "a wake-up call",
        "a parking permit",
        "a room change",
    ),
    "Housekeeping": (
        "extra towels",
        "more pillows",
        "a cot for our baby",
        "an iron and ironing board",
        "someone to fix the shower",
        "someone to look at the heating",
        "the room to be cleaned again",
        "a second duvet",
    ),
    "Restaurant": (
        "a table for dinner",
        "a gluten-free breakfast",
        "room service",
        "a birthday cake for my wife",
        "a packed lunch for our walk",
        "a vegan option at dinner",
        "a high chair",
    ),
}

SERVICE_TOPICS: dict[str, Topic] = {
    "request": Topic(
        "timeliness",
        (
            "I asked for {item} and it was sorted within ten minutes",
            "I asked for {item} and it was arranged straight away, no fuss at all",
            "I only had to ask once for {item}",
            "when I asked for {item} they kept me posted until it was done",
        ),
        (
            "I asked for {item} three times before anything happened",
            "I asked for {item} and was told ten minutes, but it took over an hour",
            "I asked for {item} and never got it",
            "nobody came back to me after I asked for {item}",
            "I asked for {item} when we checked in and it was forgotten",
        ),
        weight=2.0,
    ),
    "outcome": Topic(
        "efficiency",
        (
            "it was done properly the first time",
            "they found a solution I had not even thought of",
        ),
        (
            "it was still not right when we left",
            "the so-called fix lasted about an hour",
            "I had to explain the problem to three different people",
        ),
    ),
    "helper": Topic(
        "frontline_behaviours",
        (
            "{helper} could not have been more helpful",
            "{helper} was friendly and apologised for the trouble",
            "whoever came up was polite and quick",
        ),
        (
            "the person who came up was abrupt and made me feel like a nuisance",
            "I was told it was not their department",
            "nobody apologised",
        ),
        weight=1.5,
    ),
    "follow_up": Topic(
        "commitment",
        (
            "the duty manager rang the next morning to check everything was fine",
            "they sent up a bottle of wine to say sorry, which was a nice touch",
        ),
        (
            "the manager promised to call me back and never did",
            "nobody followed up after I complained",
        ),
        weight=0.7,
    ),
}

SERVICE_CLOSERS: dict[Tone, tuple[str, ...]] = {
    "positive": ("Great service.", "Thanks again.", "That is how it should be done."),
    "mixed": ("Got there in the end.", "Not bad, could be quicker."),
    "negative": ("Not good enough.", "Very frustrating.", "It spoilt our stay."),
}

# Answers to "What could we have done better?" when the problem was not resolved.
IMPROVEMENT_SUGGESTIONS: tuple[str, ...] = (
    "Follow up when you say you will.",
    "Send someone who can fix it the first time.",
    "Tell me honestly how long it will take.",
    "Give the night staff the authority to sort things out.",
    "Write requests down so they are not forgotten at the change of shift.",
    "Have more than one person on reception in the evening.",
    "Check the room before the next guest arrives.",
    "Call back when you promise to.",
    "Apologise and offer something when it goes wrong.",
    "Keep spare parts for the showers on site.",
    "Answer the phone at reception.",
    "Let housekeeping know what reception has promised.",
)

# --- corporate clients ----------------------------------------------------------------------
# Placeholder: {manager} is the region's manager, who looks after the corporate accounts.

BUSINESS_TOPICS: dict[str, Topic] = {
    "responsiveness": Topic(
        "ease_of_access",
        (
            "{manager} and the sales team are always quick to respond",
            "we can always get hold of someone when we need to",
        ),
        (
            "it takes days to get a quote for a simple meeting",
            "nobody called back about our Christmas party booking",
            "the events team is impossible to reach by phone",
        ),
        weight=1.3,
    ),
    "events": Topic(
        "quality",
        (
            "our delegates always comment on how well they are looked after",
            "the conference lunches are consistently good",
        ),
        (
            "the AV equipment failed during our board meeting",
            "the meeting room was too cold all day",
        ),
    ),
    "billing": Topic(
        "efficiency",
        (
            "invoices are accurate and arrive on time",
            "bookings through our travel agent always go smoothly",
        ),
        (
            "our invoices are often wrong and take weeks to correct",
            "bookings made through our travel agent keep going missing",
        ),
    ),
    "account": Topic(
        "commitment",
        (
            "you suggested a better room layout for our training day, which worked well",
            "the events coordinator anticipated what we needed before we asked",
        ),
        (
            "we have had three different account managers this year",
            "you rarely suggest anything new and we always have to ask",
        ),
        weight=1.2,
    ),
    "rates": Topic(
        "value",
        ("your corporate rates remain competitive",),
        ("your corporate rates are no longer competitive",),
        weight=0.8,
    ),
    "understanding": Topic(
        "frontline_behaviours",
        ("{manager} really understands how our business works",),
        ("we have to explain our requirements from scratch every time",),
    ),
}

BUSINESS_CLOSERS: dict[Tone, tuple[str, ...]] = {
    "positive": ("We value the relationship.", "Keen to keep working together."),
    "mixed": ("Overall a good partner.", "Room to improve, but we are happy to continue."),
    "negative": (
        "We are reviewing our hotel partners this year.",
        "We expect better from a preferred supplier.",
    ),
}

# --- staff pulse ----------------------------------------------------------------------------

STAFF_TOPICS: dict[str, Topic] = {
    "training": Topic(
        "training",
        (
            "the complaint-handling training was really useful",
            "I was properly shown the ropes when I started",
        ),
        (
            "nobody has trained me on the new booking system",
            "I would like more training on handling complaints",
            "agency staff don't know the hotel and we end up doing their work",
        ),
    ),
    "authority": Topic(
        "authority",
        (
            "I like that I can now give a guest a drink on the house without asking",
            "we are trusted to sort out problems ourselves",
        ),
        (
            "I have to ask the duty manager before I can offer a guest anything",
            "by the time a manager approves a refund the guest has already left",
        ),
    ),
    "tools": Topic(
        "tools",
        (
            "the new handheld radios make it much easier to reach housekeeping",
            "the new tablets for orders save a lot of running around",
        ),
        (
            "the booking system crashes at check-in time",
            "the vacuum cleaners are broken half the time",
            "the laundry comes back late so rooms are not ready on time",
        ),
    ),
    "recognition": Topic(
        "recognition",
        (
            "my manager always thanks us after a busy shift",
            "it is nice when guest praise gets read out in the briefing",
        ),
        (
            "good work is never noticed, only mistakes",
            "we never hear what guests say about us",
        ),
    ),
    "staffing": Topic(
        "staffing",
        (
            "the team pulls together when it gets busy",
            "the new rota gives us more notice of our shifts",
        ),
        (
            "we are always short-staffed at weekends",
            "communication between shifts is poor",
            "the staff room is freezing and the lockers are broken",
        ),
    ),
}

STAFF_SUGGESTIONS: tuple[str, ...] = (
    "Put one more person on reception on Friday evenings.",
    "Share guest feedback with us every week.",
    "Let us fix small problems without asking permission.",
    "Fix the booking system.",
    "Pay for proper training instead of agency staff.",
)

NEW_MANAGER_PRAISE: tuple[str, ...] = (
    "things have got a lot better since {manager} took over",
    "{manager} actually listens to us",
)


class CommentWriter:
    """Compose comments with a seeded random generator, so the demo is reproducible."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def stay(
        self,
        *,
        tone: Tone,
        perceptions: Mapping[str, float],
        topic_weights: Mapping[str, float],
        names: Mapping[str, str],
        is_urgent: bool = False,
    ) -> str:
        """Return a hotel guest's comment; ``names`` fills the fragments' placeholders."""
        good, bad = self._clauses(STAY_TOPICS, perceptions, topic_weights, names)
        niggle = ""
        if tone == "positive" and self.rng.random() < 0.2:
            minor = {key: topic for key, topic in STAY_TOPICS.items() if topic.is_minor}
            keys = self._pick(minor, perceptions, topic_weights, sign=-1.0, count=1)
            niggle = self.rng.choice(minor[keys[0]].complaints).format(**names) if keys else ""
        return self._compose(
            tone, good, bad, STAY_OPENERS, STAY_CLOSERS, is_urgent=is_urgent, niggle=niggle
        )

    def service(
        self,
        *,
        tone: Tone,
        department: str,
        perceptions: Mapping[str, float],
        helper: str,
        is_urgent: bool = False,
    ) -> str:
        """Return a comment on a service request handled by ``department``."""
        values = {"item": self.rng.choice(SERVICE_ITEMS[department]), "helper": helper}
        good, bad = self._clauses(SERVICE_TOPICS, perceptions, {}, values)
        return self._compose(tone, good, bad, {}, SERVICE_CLOSERS, is_urgent=is_urgent)

    def improvement(self) -> str:
        """Return a suggestion of what would have solved the problem."""
        return self.rng.choice(IMPROVEMENT_SUGGESTIONS)

    def business(self, *, tone: Tone, perceptions: Mapping[str, float], manager: str) -> str:
        """Return a corporate client's comment; {manager} is their account's manager."""
        good, bad = self._clauses(BUSINESS_TOPICS, perceptions, {}, {"manager": manager})
        return self._compose(tone, good, bad, {}, BUSINESS_CLOSERS)

    def staff(self, *, tone: Tone, perceptions: Mapping[str, float], new_manager: str = "") -> str:
        """Return an employee's pulse comment; a ``new_manager`` may be praised by name."""
        good, bad = self._clauses(STAFF_TOPICS, perceptions, {}, {})
        if new_manager and tone != "negative" and self.rng.random() < 0.4:
            good.insert(0, self.rng.choice(NEW_MANAGER_PRAISE).format(manager=new_manager))
        text = self._compose(tone, good, bad, {}, {})
        if tone != "positive" and self.rng.random() < 0.4:
            text = f"{text} {self.rng.choice(STAFF_SUGGESTIONS)}"
        return text

    # --- composition --------------------------------------------------------------------

    def _clauses(
        self,
        topics: Mapping[str, Topic],
        perceptions: Mapping[str, float],
        topic_weights: Mapping[str, float],
        values: Mapping[str, str],
    ) -> tuple[list[str], list[str]]:
        """Return (praise, complaints): three clauses each, from the best and worst topics."""
        good = self._pick(topics, perceptions, topic_weights, sign=1.0, count=3)
        bad = self._pick(topics, perceptions, topic_weights, sign=-1.0, count=3)
        praise = [self.rng.choice(topics[key].praise).format(**values) for key in good]
        complaints = [self.rng.choice(topics[key].complaints).format(**values) for key in bad]
        return praise, complaints

    def _pick(
        self,
        topics: Mapping[str, Topic],
        perceptions: Mapping[str, float],
        topic_weights: Mapping[str, float],
        *,
        sign: float,
        count: int,
    ) -> list[str]:
        """Draw up to ``count`` distinct topics, favouring the best (sign 1) or worst (-1)."""
        keyed = []
        for key, topic in topics.items():
            fragments = topic.praise if sign > 0 else topic.complaints
            weight = topic_weights.get(key, topic.weight)
            if not fragments or weight <= 0:
                continue
            perception = perceptions.get(topic.domain, 0.0)
            weight *= math.exp(sign * TOPIC_FOCUS * perception)
            # Efraimidis–Spirakis: a weighted sample without replacement in one pass.
            keyed.append((self.rng.random() ** (1.0 / weight), key))
        keyed.sort(reverse=True)
        return [key for _score, key in keyed[:count]]

    def _compose(
        self,
        tone: Tone,
        good: list[str],
        bad: list[str],
        openers: Mapping[Tone, Sequence[str]],
        closers: Mapping[Tone, Sequence[str]],
        *,
        is_urgent: bool = False,
        niggle: str = "",
    ) -> str:
        rng = self.rng
        sentences: list[str] = []
        if openers.get(tone) and rng.random() < 0.3:
            sentences.append(rng.choice(openers[tone]))
        if tone == "positive":
            sentences.extend(self._list_of(good, rng.choice((1, 1, 2, 2, 3))))
            if niggle:
                sentences.append(rng.choice(NIGGLES).format(bad=niggle))
        elif tone == "mixed":
            if good and bad:
                sentences.append(
                    _sentence(rng.choice(MIXED_JOINS).format(good=good[0], bad=bad[0]))
                )
            if rng.random() < 0.35:
                extra = good[1:2] if rng.random() < 0.5 else bad[1:2]
                sentences.extend(_sentence(clause) for clause in extra)
        else:
            if good and bad and rng.random() < 0.2:
                sentences.append(
                    _sentence(rng.choice(CONCESSIONS).format(good=good[0], bad=bad[0]))
                )
                bad = bad[1:]
            sentences.extend(self._list_of(bad, rng.choice((1, 1, 2, 2, 3))))
            if is_urgent:
                sentences.append(rng.choice(URGENT_SENTENCES))
        if closers.get(tone) and rng.random() < 0.4:
            sentences.append(rng.choice(closers[tone]))
        return " ".join(sentences)

    def _list_of(self, clauses: list[str], count: int) -> list[str]:
        """Return ``count`` clauses as sentences, sometimes joining two with "and"."""
        chosen = clauses[:count]
        if len(chosen) >= 2 and self.rng.random() < 0.4:
            return [_sentence(f"{chosen[0]} and {chosen[1]}"), *map(_sentence, chosen[2:])]
        return [_sentence(clause) for clause in chosen]


def _sentence(clause: str) -> str:
    clause = clause.strip()
    if not clause:
        return ""
    end = "" if clause[-1] in ".!?" else "."
    return clause[0].upper() + clause[1:] + end


def _fragments_of(topics: Iterable[Topic]) -> list[str]:
    return [fragment for topic in topics for fragment in (*topic.praise, *topic.complaints)]


def all_fragments() -> set[str]:
    """Return every distinct fragment comments are composed from (for tests and curiosity)."""
    pieces: list[str] = [
        *_fragments_of(STAY_TOPICS.values()),
        *_fragments_of(SERVICE_TOPICS.values()),
        *_fragments_of(BUSINESS_TOPICS.values()),
        *_fragments_of(STAFF_TOPICS.values()),
        *URGENT_SENTENCES,
        *IMPROVEMENT_SUGGESTIONS,
        *STAFF_SUGGESTIONS,
        *NEW_MANAGER_PRAISE,
        *MIXED_JOINS,
        *NIGGLES,
        *CONCESSIONS,
    ]
    for table in (STAY_OPENERS, STAY_CLOSERS, SERVICE_CLOSERS, BUSINESS_CLOSERS):
        for sentences in table.values():
            pieces.extend(sentences)
    for items in SERVICE_ITEMS.values():
        pieces.extend(items)
    return set(pieces)
