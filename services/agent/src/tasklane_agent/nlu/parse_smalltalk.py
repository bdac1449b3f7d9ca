"""Whole-message small talk and settings, read the same in every language.

Short messages are where language detection is weakest ("sí", "ok", "obrigado", "3"): the user's
language stays as it was, so an English user answering "sí" must still be understood. These tables
therefore hold all three languages at once; only whole messages match (after edge punctuation and
emoji are dropped), so "no" never matches inside "no due date".

Decisions:
- a bare number ("2", "#2", "the second one", "la segunda", "opção 2") is a choice from the last
  list shown (``Choose``); "done with #2" or "delete 2" are commands about task 2;
- "ok", "sure", "vale", "pode" are a yes (``Answer``) — with nothing to confirm the engine treats
  them as an acknowledgement;
- "done", "listo", "feito" alone complete the task last referred to; "👍" and other emoji alone
  are thanks;
- a language name alone ("español") or with a verb ("speak Spanish", "fala português") switches
  the language.
"""

from __future__ import annotations

import re

from tasklane_agent.nlu.commands import (
    Answer,
    Choose,
    Command,
    CompleteTask,
    Greeting,
    Help,
    ReopenTask,
    SetLanguage,
    TaskRef,
    Thanks,
    Undo,
)
from tasklane_agent.nlu.language import Lang
from tasklane_agent.nlu.parse_common import words

# Trailing courtesy that never changes what a short answer means: "yes please", "sí, gracias".
_COURTESY = (
    r"(?:[\s,]+(?:please|pls|plz|thanks|thank you|thx|por favor|porfa|gracias|obrigad[oa]|valeu|pf|pfv))*"
)

_YES = (
    words("""
yes yess yesss yep yup yeah yea ya y sure ok okay okey oki okie k kk alright fine confirm confirmed
correct right exactly absolutely definitely si claro dale vale va venga perfecto hazlo adelante
confirmo correcto exacto sim pode beleza blz isso certo confirma bora manda fechado
""")
    + "|"
    + "|".join(
        (
            r"go ahead",
            r"do it",
            r"ok do it",
            r"yes do it",
            r"please do",
            r"of course",
            r"that'?s right",
            r"yes please",
            r"sounds good",
            r"all right",
            r"de acuerdo",
            r"por supuesto",
            r"si,? claro",
            r"claro que si",
            r"adelante con eso",
            r"pode sim",
            r"isso mesmo",
            r"manda ver",
            r"com certeza",
            r"claro que sim",
            r"pode fazer",
            r"faz isso",
            r"sim,? pode",
            r"ok,? pode",
            r"pode ser",
            r"ok,? dale",
            r"si,? hazlo",
            r"yes,? go ahead",
            r"y(?:es)? sure",
        )
    )
)
_NO = (
    words("""
no nope nah n cancel stop abort nevermind nvm negative cancela cancelar dejalo olvidalo nao
esquece deixa nada negativo para
""")
    + "|"
    + "|".join(
        (
            r"not now",
            r"cancel (?:it|that)",
            r"don'?t",
            r"do not",
            r"never mind",
            r"forget it",
            r"no thanks",
            r"no thank you",
            r"no,? (?:don'?t|cancel|stop)",
            r"mejor no",
            r"ni hablar",
            r"no,? gracias",
            r"no lo hagas",
            r"deixa pra la",
            r"melhor nao",
            r"nao,? obrigad[oa]",
            r"nao precisa",
            r"nao faz",
            r"cancela isso",
            r"no,? cancela",
        )
    )
)
_THANKS = (
    words("""
thanks thank thx ty tysm cheers great perfect awesome nice cool excellent brilliant lovely
gracias genial perfecto excelente buenisimo chevere obrigado obrigada brigado brigada valeu vlw
perfeito otimo show top massa maravilha
""")
    + "|"
    + "|".join(
        (
            r"thank you(?: so much| very much)?",
            r"thanks(?: a lot| so much| a million)?",
            r"got it",
            r"ok,? thanks",
            r"great,? thanks",
            r"many thanks",
            r"muchas gracias",
            r"mil gracias",
            r"muito obrigad[oa]",
            r"valeu mesmo",
            r"ok,? gracias",
            r"ok,? obrigad[oa]",
            r"de nada",
        )
    )
)
_GREETING = (
    words("""
hi hii hiii hello helo hey heyy hiya heya yo howdy greetings morning hola buenas buenos ola oi
oie opa salve
""")
    + "|"
    + "|".join(
        (
            r"good (?:morning|afternoon|evening|day)",
            r"hi there",
            r"hello there",
            r"hey there",
            r"how are you",
            r"how'?s it going",
            r"how are things",
            r"what'?s up",
            r"sup",
            r"buenos dias",
            r"buenas (?:tardes|noches)",
            r"que tal",
            r"como estas",
            r"como va todo",
            r"hola,? (?:que tal|como estas)",
            r"bom dia",
            r"boa (?:tarde|noite)",
            r"e ai",
            r"eai",
            r"tudo (?:bem|bom|certo)",
            r"como vai",
            r"oi,? tudo (?:bem|bom)",
            r"ola,? tudo bem",
        )
    )
)
_HELP = (
    words("""
help menu commands start options instructions ayuda comandos instrucciones ajuda socorro opcoes
""")
    + "|"
    + "|".join(
        (
            r"help me",
            r"/?start",
            r"/help",
            r"\?+",
            r"what can you do",
            r"what do you do",
            r"how does (?:this|it) work",
            r"how do i use (?:this|you|it)",
            r"who are you",
            r"what are you",
            r"what can i (?:do|say|ask)",
            r"que puedes hacer",
            r"que haces",
            r"como funciona(?:s)?",
            r"como te uso",
            r"quien eres",
            r"o que (?:voce|vc) (?:faz|pode fazer|sabe fazer)",
            r"como (?:funciona|te uso|usar)",
            r"quem e voce",
            r"me ajuda",
        )
    )
)
_UNDO = r"undo(?: (?:that|it|this|the last (?:one|thing|change|action)))?|revert(?: that| it)?|" \
    r"take (?:that|it) back|oops,? undo(?: that)?|deshacer|deshaz(?:lo)?(?: eso)?|revierte(?:lo)?|" \
    r"desfaz(?:er)?(?: isso)?|desfaca(?: isso)?|volta atras"  # fmt: skip
_DONE = r"done|all done|finished|completed|it'?s done|that'?s done|listo|hecho|hecha|terminado|" \
    r"terminada|ya esta|ya lo hice|completado|feito|feita|pronto|pronta|concluido|concluida|ja fiz|" \
    r"terminei|conclui|acabei|termine|acabe"  # fmt: skip
_NOT_DONE = r"not done(?: yet)?|(?:it'?s|it is) not done(?: yet)?|not finished(?: yet)?|" \
    r"(?:todavia|aun) no(?: esta)?(?: hecha| lista| terminada)?|no esta (?:hecha|lista|terminada)|" \
    r"ainda nao(?: terminei| acabei| esta pronta| esta feita)?|" \
    r"nao (?:esta|ta) (?:pronta|feita|pronto|feito)"  # fmt: skip

ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10,
    "primera": 1, "primero": 1, "segunda": 2, "segundo": 2, "tercera": 3, "tercero": 3,
    "cuarta": 4, "cuarto": 4, "quinta": 5, "quinto": 5,
    "primeira": 1, "primeiro": 1, "terceira": 3, "terceiro": 3, "quarta": 4, "quarto": 4,
}  # fmt: skip
_CHOICE = re.compile(
    r"(?:(?:the|la|el|a|o|option|opcion|opcao|number|numero|no\.?|n[oº°])\s+)*#?\s*(?P<n>\d{1,2})(?:st|nd"
    r"|rd|th|º|ª)?"
    r"(?:\s+(?:one|please|pls|por favor))?"
    rf"|(?:(?:the|la|el|a|o)\s+)?(?P<ord>{words(' '.join(ORDINALS))})"
    r"(?:\s+(?:one|option|opcion|opcao|opcion|task|tarea|tarefa))?"
)

_TABLE: tuple[tuple[re.Pattern[str], Command], ...] = tuple(
    (re.compile(rf"(?:{pattern}){_COURTESY}"), command)
    for pattern, command in (
        (_THANKS, Thanks()),
        (_YES, Answer(yes=True)),
        (_NO, Answer(yes=False)),
        (_GREETING, Greeting()),
        (_HELP, Help()),
        (_UNDO, Undo()),
        (_DONE, CompleteTask(TaskRef(pronoun=True))),
        (_NOT_DONE, ReopenTask(TaskRef(pronoun=True))),
    )
)
# "hi Tasklane", "hola Ana": a greeting followed by one name.
_GREETING_NAMED = re.compile(rf"(?:{_GREETING})[\s,]+[a-z]+")

LANGUAGE_NAMES: dict[str, Lang] = {
    "english": "en", "ingles": "en", "en": "en",
    "spanish": "es", "espanol": "es", "castellano": "es", "espanhol": "es", "es": "es",
    "portuguese": "pt", "portugues": "pt", "portuguesa": "pt", "pt": "pt", "brazilian": "pt",
    "brasileiro": "pt",
}  # fmt: skip
_LANG_NAME = words(" ".join(k for k in LANGUAGE_NAMES if len(k) > 2))
_SET_LANGUAGE = re.compile(
    r"(?:(?:please\s+)?(?:can|could) you\s+|(?:do\s+)?you\s+|(?:puedes|podrias)\s+|(?:voce|vc)\s+"
    r"|(?:pode)\s+)?"
    r"(?:(?:speak|talk|reply|answer|write|respond|switch|change|go|text)(?:\s+(?:to|with|back))?(?:\s+me)?"
    r"(?:\s+in)?|in|en|em|(?:habla|hablame|hablemos|hablas|responde|respondeme|contesta|escribe|escribeme|"
    r"cambia|pasa|pasate)(?:\s+a)?(?:\s+en)?|(?:fala|fale|falar|falas|vamos falar|responde|escreve|muda|"
    r"troca|mude)(?:\s+(?:pra|para|pro))?(?:\s+em)?|(?:language|idioma|lingua)\s*(?:is|:|=|es|e|a|para"
    r"|pra)?)?"
    rf"\s*(?P<lang>{_LANG_NAME})(?:\s+(?:please|pls|then|now|instead|ahora|agora|mejor|entao|por favor))*"
    r"|(?:language|idioma|lingua)\s*[:=]?\s*(?P<code>en|es|pt)"
)


def small_talk(core: str) -> Command | None:
    """The command a whole short message stands for, in any language; None if it is not one."""
    for pattern, command in _TABLE:
        if pattern.fullmatch(core):
            return command
    if _GREETING_NAMED.fullmatch(core) and len(core.split()) <= 3:
        return Greeting()
    m = _CHOICE.fullmatch(core)
    if m:
        index = int(m.group("n")) if m.group("n") else ORDINALS[m.group("ord")]
        return Choose(index) if index > 0 else None
    return None


def set_language(plain: str) -> SetLanguage | None:
    m = _SET_LANGUAGE.fullmatch(plain)
    if not m:
        return None
    return SetLanguage(LANGUAGE_NAMES[m.group("lang") or m.group("code")])
