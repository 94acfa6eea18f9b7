"""Tell a person opening an emailed link from the machines that fetch it before them.

Mail security gateways (Microsoft Defender's Safe Links, Proofpoint, Mimecast, Barracuda…)
and chat or mail previews fetch every link of a message, often before the person sees it;
counting those fetches would mark nearly every invitation "opened". Pure (no Django), so
the rule is tested on its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Words found in the User-Agent of scanners, previewers, crawlers and HTTP libraries;
# never in a browser's.
SCANNER_AGENT = re.compile(
    r"bot\b|bot/|crawl|spider|preview|scan|safelinks|safe ?links|defender|barracuda|mimecast|"
    r"proofpoint|urldefense|messagelabs|symantec|trend ?micro|fireeye|forcepoint|sophos|"
    r"ironport|zscaler|fortinet|checkpoint|microsoft office|ms-office|outlook|"
    r"python|curl|wget|go-http-client|java/|okhttp|libwww|httpclient|axios|node-fetch|"
    r"headless|phantomjs|facebookexternalhit|whatsapp|slack|skype|teams|discord|telegram",
    re.IGNORECASE,
)


def is_person_opening(method: str, headers: Mapping[str, str]) -> bool:
    """Tell whether a request for a link looks like a person's browser opening it.

    Only a GET counts (scanners probe with HEAD), not a browser's own prefetch
    (``Sec-Purpose``/``Purpose: prefetch``), and only from a browser's User-Agent (they all
    begin with ``Mozilla/``) that names no known scanner. A person misjudged here still
    counts as opened once they save or send an answer.
    """
    if method != "GET":
        return False
    purpose = f"{headers.get('Sec-Purpose', '')} {headers.get('Purpose', '')}".lower()
    if "prefetch" in purpose or "prerender" in purpose:
        return False
    agent = headers.get("User-Agent", "")
    return agent.startswith("Mozilla/") and SCANNER_AGENT.search(agent) is None
