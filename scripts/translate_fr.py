"""Fill French translations for the respondent's pages into locale/fr (a maintenance script).

Run after ``heedback makemessages -l fr``; it only fills empty entries it knows, so
translations edited by hand are kept.
"""

import re
import sys
from pathlib import Path

FRENCH = {
    "Send my answers": "Envoyer mes réponses",
    "Please check your answers": "Veuillez vérifier vos réponses",
    "(required)": "(obligatoire)",
    "Yes": "Oui",
    "No": "Non",
    "Thank you": "Merci",
    "Your answers were received.": "Vos réponses ont bien été reçues.",
    "Survey not found": "Questionnaire introuvable",
    "We could not find this survey": "Nous n’avons pas trouvé ce questionnaire",
    "The link may be mistyped or incomplete. Check the address, or scan the card again.":
        "Le lien est peut-être mal saisi ou incomplet. Vérifiez l’adresse ou scannez de nouveau la carte.",
    "Survey closed": "Questionnaire clos",
    "This survey is closed": "Ce questionnaire est clos",
    "%(organisation)s is no longer collecting answers to this survey. Thank you for your time.":
        "%(organisation)s ne recueille plus de réponses à ce questionnaire. Merci de votre temps.",
    "Not satisfied, now or at any time? Contact the manager of %(unit)s:":
        "Pas satisfait, maintenant ou à tout moment ? Contactez le responsable de %(unit)s :",
    "This form has expired. Check your answers and send them again.":
        "Ce formulaire a expiré. Vérifiez vos réponses et envoyez-les de nouveau.",
    "this question is required": "cette question est obligatoire",
    "Answer at least one question.": "Répondez à au moins une question.",
    "This survey is not accepting responses.": "Ce questionnaire n’accepte plus de réponses.",
    "The response is not valid.": "La réponse n’est pas valide.",
}


def fill(po_path: Path) -> int:
    text = po_path.read_text()
    filled = 0
    for english, french in FRENCH.items():
        escaped = english.replace('"', '\\"')
        pattern = re.compile(r'(msgid "' + re.escape(escaped) + r'"\nmsgstr )""')
        text, count = pattern.subn(lambda match: match.group(1) + '"' + french.replace('"', '\\"') + '"', text)
        filled += count
    po_path.write_text(text)
    return filled


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "src/heedback/locale/fr/LC_MESSAGES/django.po")
    print(f"filled {fill(path)} entries in {path}")
