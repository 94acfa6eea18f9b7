"""Language of a comment, from its stopwords and its script: fast, deterministic, no model.

Feedback comments are short, so a detector needs evidence that short texts carry: the
function words of a language ("the", "und", "les") and, for languages that do not use the
Latin alphabet, the script itself. It runs at tens of thousands of comments per second,
which a statistical detector of the same accuracy on short texts does not, and it says
"und" (undetermined) instead of guessing when a text has no evidence.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

UNDETERMINED = "und"
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


def words_of(text: str) -> frozenset[str]:
    """Return the set of the space-separated words of ``text``."""
    return frozenset(text.split())


# The most frequent function words of each language, chosen to be rare in the others.
STOPWORDS: dict[str, frozenset[str]] = {
    "en": words_of(
        "the and was were is are to of it this that with for not but very have had they "
        "you my we our on at be been would will there their from an which so all just "
        "what when one no out about get got i me us as by or if"
    ),
    "fr": words_of(
        "le la les et est était un une des du de pour pas très avec dans nous vous il elle "
        "ils sont ce cette mais ne au aux qui que sur mon ma mes notre nos été avons je j'ai "
        "c'est n'est bien trop peu plus"
    ),
    "de": words_of(
        "der die das und ist war sehr nicht mit ein eine einen für auf ich wir sie es zu den "
        "dem des auch aber noch nur im am wurde waren sind hat haben kein keine uns unser"
    ),
    "es": words_of(
        "el la los las y es era muy con para por una uno del que no en lo al se fue pero "
        "nos nuestro estaba habitación servicio todo bien también como más muy"
    ),
    "it": words_of(
        "il lo la gli le e è era molto con per una uno del della che non di in al sono "
        "siamo ma anche abbiamo ci stato stata tutto bene camera più"
    ),
    "pt": words_of(
        "o os a as e é era muito com para por uma um do da que não em no na ao foi mas "
        "nos nosso estava tudo bem também mais quarto"
    ),
    "nl": words_of(
        "de het een en is was zeer niet met voor op ik wij we zij het te van dat die er "
        "ook maar nog wel heel zijn hebben geen ons onze"
    ),
    "sv": words_of(
        "och är var mycket inte med för på jag vi de det en ett att som av till men också "
        "har hade vår våra bra"
    ),
    "da": words_of(
        "og er var meget ikke med for på jeg vi de det en et at som af til men også har "
        "havde vores godt"
    ),
    "pl": words_of("i jest był była bardzo nie z na w do że to się ale jak dla jestem było są"),
    "tr": words_of("ve bir bu çok için ile ama da de değil gibi daha olarak"),
}

# Scripts that name their language (or a small family, reported by its main language).
SCRIPT_LANGUAGE = {
    "CYRILLIC": "ru",
    "GREEK": "el",
    "ARABIC": "ar",
    "HEBREW": "he",
    "THAI": "th",
    "DEVANAGARI": "hi",
    "HANGUL": "ko",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "CJK": "zh",
}

MIN_STOPWORD_HITS = 2


def _script_of(character: str) -> str | None:
    name = unicodedata.name(character, "")
    for script in SCRIPT_LANGUAGE:
        if name.startswith(script):
            return script
    return None


def _dominant_script_language(text: str) -> str | None:
    if text.isascii():
        return None  # Latin letters only: the stopwords decide
    letters = [character for character in text if character.isalpha() and not character.isascii()]
    latin = sum(character.isascii() and character.isalpha() for character in text)
    if not letters or latin > len(letters):
        return None
    scripts = Counter(_script_of(character) for character in letters)
    script, count = scripts.most_common(1)[0]
    if script is None or count * 2 < len(letters) + latin:
        return None
    if script == "CJK" and (scripts["HIRAGANA"] or scripts["KATAKANA"]):
        return "ja"  # Japanese mixes kanji with kana; Chinese has no kana
    return SCRIPT_LANGUAGE[script]


# Each stopword's languages, so that a word is looked up once rather than once per language.
_LANGUAGES_OF_WORD: dict[str, tuple[str, ...]] = {}
for _language, _stopwords in STOPWORDS.items():
    for _word in _stopwords:
        _LANGUAGES_OF_WORD[_word] = (*_LANGUAGES_OF_WORD.get(_word, ()), _language)


def detect_language(text: str, *, hint: str = "") -> str:
    """Return the ISO 639-1 code of ``text``'s language, ``hint`` or "und" without evidence.

    ``hint`` is what the respondent's channel said (the page's language); it decides only
    when the text itself has too few function words to tell.
    """
    by_script = _dominant_script_language(text)
    if by_script is not None:
        return by_script
    hits: dict[str, int] = {}
    languages_of_word = _LANGUAGES_OF_WORD
    for word in WORD.findall(text.lower()):
        for language in languages_of_word.get(word, ()):
            hits[language] = hits.get(language, 0) + 1
    ranked = Counter(hits).most_common(2)
    if ranked and ranked[0][1] >= MIN_STOPWORD_HITS:
        best, count = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0
        if count > runner_up:
            return best
    if hint:
        return hint.split("-")[0].lower()
    return UNDETERMINED
