"""The text app's part of an erasure: the copies of a customer's texts and their index.

Declared on ``TextConfig.customer_data`` (see ``customers/hooks.py``). An analysis keeps
its sentiment, language, urgency reasons and themes (anonymous figures) and loses the copy
of the text, which search and theme discovery would otherwise go on reading.
"""

from __future__ import annotations

from collections.abc import Sequence

from heedback.orgs.models import Organisation
from heedback.text.models import TextAnalysis
from heedback.text.search import unindex_texts

NAME = "texts"


def erase_customer(organisation: Organisation, customer_ids: Sequence[int]) -> int:
    """Blank the text copies of these customers' responses and take them out of search."""
    analyses = TextAnalysis.objects.filter(
        organisation=organisation, response__customer_id__in=customer_ids
    ).exclude(body="")
    rows = list(analyses.values_list("pk", "body"))
    unindex_texts(rows)
    return TextAnalysis.objects.filter(pk__in=[pk for pk, _body in rows]).update(
        body="", urgency_evidence=[]
    )
