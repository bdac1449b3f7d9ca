"""The words that ask for something in passing, per language: "I need to", "remind me to",
"tengo que", "no me dejes olvidar", "preciso", "me lembra de" (strong: the user asking for
themselves, anywhere in a message) and "have to", "hay que", "toca", "tem que" (weak: said of
anyone, a request only at the start of a clause or right after a date). Read by
:mod:`tasklane_agent.nlu.parse.indirect`, and by :mod:`tasklane_agent.nlu.parse.tasks` to let a
"note that ... I have to ..." through to it.
"""

from __future__ import annotations

import re

from tasklane_agent.domain.language import Lang

_ADVERBS = (
    r"(?:(?:really|rly|realy|still|also|just|def|definitely|seriously|actually|totally|absolutely|so)\s+)*"
)
STRONG: dict[Lang, re.Pattern[str]] = {
    "en": re.compile(
        r"\b(?:remind\s+(?:me|us)\s+(?:to|about|that|of)"
        r"|don'?t\s+let\s+me\s+forget(?:\s+(?:to|about))?|(?:don'?t|do\s+not)\s+forget\s+(?:to|about)"
        r"|make\s+sure\s+(?:that\s+)?(?:i|we)\s+(?:remember\s+to\s+)?"
        rf"|(?:i|we)\s+{_ADVERBS}(?:need|have|got|must)\s+to|(?:i|we)\s+{_ADVERBS}(?:gotta|must)"
        r"|(?:i|we)\s+(?:can'?t|cannot|mustn'?t|must\s+not|shouldn'?t)\s+forget\s+(?:to|about)"
        r"|note\s+to\s+self\s*:?|remember\s+to"
        rf"|(?:i|we)\s+{_ADVERBS}(?:(?:probably|prob|prolly)\s+)?(?:should|ought\s+to)(?!\s+(?:have|of|'?ve)\b)"
        r"(?:\s+(?:probably|prob|prolly|really|def|definitely))?)\b"
    ),
    "es": re.compile(
        r"\b(?:(?:recuerdame|recordame|acordame|recuerdeme|recordarme|recuerdenme)(?:\s+(?:que|de))?"
        r"|no\s+me\s+dejes\s+olvidar(?:\s+(?:de|que))?|que\s+no\s+se\s+me\s+olvide(?:\s+(?:de|que))?"
        r"|no\s+te\s+olvides\s+de|(?:acuerdate|acordate)\s+de|no\s+(?:puedo|debo)\s+olvidar(?:me)?\s+de"
        r"|(?:necesito|quiero)\s+que\s+me\s+(?:recuerdes|recuerde|recordes)(?:\s+(?:de|que))?"
        r"|(?:tengo|tenemos)\s+(?:que|q|de)|necesito|necesitamos|(?<!\bte\s)(?<!\ble\s)(?<!\bles\s)debo|debemos"
        r"|se\s+me\s+(?:paso|olvido)(?:\s+(?:de|que))?|me\s+olvide\s+de"
        r"|me\s+(?:recuerdas|recordas|recordarias|recuerdes|recuerde|recordes)|(?:me\s+)?(?:puedes|podes|podrias)\s+recordar(?:me)?"
        r"|anotame|apuntame|agendame)\b"
    ),
    "pt": re.compile(
        r"\b(?:me\s+(?:lembr(?:a|e|ar|asse|aria|as|es)|record(?:a|e|ar))(?:\s+(?:de|que))?"
        r"|(?:lembr(?:a|e|ar|asse)|record(?:a|e|ar))-me(?:\s+(?:de|que))?"
        r"|nao\s+(?:me\s+)?deix(?:a|e|es)\s+(?:eu\s+)?esquecer(?:\s+de)?"
        r"|(?:preciso|tenho\s+que|quero|nao\s+posso\s+esquecer\s+de)\s+(?:me\s+)?lembrar\s+(?:de|que)"
        r"|(?:tenho|temos)\s+(?:que|de)|preciso(?:\s+de)?|precisamos(?:\s+de)?|(?<!\bte\s)(?<!\blhe\s)devo|devemos"
        r"|(?:me\s+)?(?:pediu|pediram)\s+(?:pra|para)\s+(?:eu|mim)|(?:me\s+)?(?:pediu|pediram)\s+que\s+eu"
        r"|esqueci\s+de|vou\s+ter\s+que|a\s+gente\s+(?:tem\s+(?:que|de)|precisa(?:\s+de)?)"
        r"|nao\s+(?:posso|podemos|pode)\s+esquecer(?:\s+de)?|nao\s+esquece(?:r)?\s+de)\b"
    ),
}
WEAK: dict[Lang, re.Pattern[str]] = {
    "en": re.compile(r"\b(?:need|have)\s+to\b"),
    "es": re.compile(r"\b(?:hay\s+(?:que|q)|(?:me\s+|nos\s+)?toca)\b"),
    "pt": re.compile(r"\b(?:tem\s+(?:que|de)|e\s+pra|precisa)\b"),
}
