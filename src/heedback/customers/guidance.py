"""What each temperament values, and how to serve it: the defaults an organisation can edit.

The four colours are the True Colors temperaments. The paragraphs are written for a member
of staff about to call or answer a customer: what to lead with, what to avoid.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from heedback.customers.choices import Temperament

#: One line on what the temperament values, shown beside the colour.
VALUES = {
    Temperament.BLUE: _("Relationships, empathy, being heard as a person."),
    Temperament.GOLD: _("Order, reliability, doing things properly and on time."),
    Temperament.GREEN: _("Competence, facts, logic, being treated as capable."),
    Temperament.ORANGE: _("Speed, action, freedom, a solution now."),
}

#: How to reply, per temperament, until the organisation writes its own.
DEFAULT_GUIDANCE = {
    Temperament.BLUE: _(
        "Start with the person, not the problem. Say how sorry you are that the experience "
        "felt the way it did before explaining anything, use their name, and tell them in "
        "warm, plain words what you will do. Blues remember how they were treated more than "
        "what was fixed: a personal follow-up from the same person means more than a quick "
        "form reply. Do not sound scripted and do not hurry them."
    ),
    Temperament.GOLD: _(
        "Be prepared, precise and punctual. Confirm the facts, explain the procedure and "
        "what happens next, give a date and keep it. Golds value things done properly: "
        "put commitments in writing, follow the process you describe, and call back exactly "
        "when you said you would. Avoid improvising, vague promises and last-minute changes."
    ),
    Temperament.GREEN: _(
        "Lead with facts and reasons. Explain what went wrong and why, set out the options "
        "and their trade-offs, and let them decide. Greens respect competence and candour: "
        "answer precisely, say so when you do not know and find out, and skip small talk and "
        "emotional appeals. Do not oversimplify or repeat yourself."
    ),
    Temperament.ORANGE: _(
        "Be quick and get to the point. Offer a concrete fix now, give them a choice, and "
        "keep it short and upbeat: Oranges want the problem gone, not the explanation. Use "
        "your authority to act on the spot; a fast, flexible answer wins them back. Avoid "
        "long procedures, forms and making them wait."
    ),
}
