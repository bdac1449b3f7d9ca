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

from tasklane_agent.domain.language import Lang
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
from tasklane_agent.nlu.parse.common import words

# Trailing courtesy that never changes what a short answer means: "yes please", "sí, gracias".
_COURTESY = (
    r"(?:[\s,]+(?:please|pls|plz|thanks|thank you|thx|por favor|porfa|gracias|obrigad[oa]|valeu|pf|pfv))*"
)


def _either(single_words: str, phrases: str) -> str:
    """An alternation of whitespace-separated words and of " | "-separated regex phrases."""
    parts = [re.sub(r"\s*\n\s*", "", p.strip()) for p in phrases.split(" | ")]
    return "|".join([words(single_words)] * bool(single_words.split()) + parts)


_YES = _either(
    """yes yess yesss yep yup yeah yea ya y sure ok okay okey oki okie k kk alright fine confirm
    confirmed correct right exactly absolutely definitely si claro dale vale va venga perfecto hazlo
    adelante confirmo correcto exacto sim pode beleza blz isso certo confirma bora manda fechado""",
    r"""go ahead | do it | ok do it | yes do it | please do | of course | that'?s right | yes please
    | sounds good | all right | y(?:es)? sure | yes,? go ahead | de acuerdo | por supuesto | si,? claro
    | claro que si | si,? hazlo | ok,? dale | pode sim | isso mesmo | manda ver | com certeza
    | claro que sim | pode fazer | faz isso | sim,? pode | ok,? pode | pode ser
    | ta (?:bom|certo|beleza|joia|ok)""",
)
_NO = _either(
    """no nope nah n cancel stop abort nevermind nvm negative cancela cancelar dejalo olvidalo nao
    esquece deixa nada negativo para""",
    r"""not now | cancel (?:it|that) | don'?t | do not | never mind | forget it | no thanks
    | no thank you | no,? (?:don'?t|cancel|stop) | mejor no | ni hablar | no,? gracias | no lo hagas
    | no,? cancela | deixa pra la | melhor nao | nao,? obrigad[oa] | nao precisa | nao faz
    | cancela isso""",
)
_THANKS = _either(
    """thanks thank thx ty tysm cheers great perfect awesome nice cool excellent brilliant lovely
    gracias genial perfecto excelente buenisimo chevere obrigado obrigada brigado brigada valeu vlw
    perfeito otimo show top massa maravilha""",
    # Goodbyes are acknowledgements too: "see you tomorrow" is not a list of tomorrow's tasks.
    r"""thank you(?: so much| very much)? | thanks(?: a lot| so much| a million)? | got it
    | ok,? thanks | great,? thanks | many thanks | muchas gracias | mil gracias | muito obrigad[oa]
    | valeu mesmo | ok,? gracias | ok,? obrigad[oa] | de nada
    | (?:ta|tah|beleza|blz|show|certo|perfeito|otimo|top|fechado),? (?:valeu|vlw|obrigad[oa]|brigad[oa]|obg)
    | (?:see you|see ya|cya|bye|goodbye|talk (?:to you )?later|ttyl|hasta (?:luego|manana|pronto)
    |nos vemos|chao|adios|ate (?:amanha|mais|logo)|tchau|falou)(?: (?:tomorrow|later|soon|then|manana))?""",
)
_GREETING = _either(
    """hi hii hiii hello helo hey heyy hiya heya yo howdy greetings morning hola buenas buenos ola oi
    oie opa salve""",
    r"""good (?:morning|afternoon|evening|day) | hi there | hello there | hey there | how are you
    | how'?s it going | how is it going | how are things | what'?s up | sup | buenos dias
    | buenas (?:tardes|noches) | que tal | como estas | como va todo | hola,? (?:que tal|como estas)
    | bom dia | boa (?:tarde|noite) | e ai | eai | tudo (?:bem|bom|certo) | como vai
    | oi,? tudo (?:bem|bom) | ola,? tudo bem | como (?:vao|estao|andam) as coisas | como vai tudo
    | como van las cosas""",
)
_HELP = _either(
    "help menu commands start options instructions ayuda comandos instrucciones ajuda socorro opcoes",
    r"""help me | /?start | /help | \?+ | what can you do | what do you do | how does (?:this|it) work
    | how do i use (?:this|you|it) | who are you | what are you | what is this | what can i (?:do|say|ask)
    | que puedes hacer | que haces | como funciona(?:s)? | como te uso | quien eres
    | o que (?:voce|vc) (?:faz|pode fazer|sabe fazer) | como (?:funciona|te uso|usar) | quem e voce
    | me ajuda""",
)
_UNDO = _either(
    "undo revert deshacer deshaz deshazlo revierte reviertelo desfaz desfazer desfaca",
    r"""undo (?:that|it|this|the last (?:one|thing|change|action)) | revert (?:that|it)
    | take (?:that|it) back | oops,? undo(?: that)? | deshaz eso | desfaz isso | desfaca isso
    | volta atras""",
)
_DONE = _either(
    """done finished completed listo hecho hecha terminado terminada completado feito feita pronto pronta
    concluido concluida terminei conclui acabei termine acabe""",
    r"""all done | it'?s done | that'?s done | i(?:'?ve| have)? finished | i'?m done | i am done
    | i'?m finished | done it | did it | ya esta | ya lo hice | ja fiz""",
)
_NOT_DONE = _either(
    "",
    r"""not done(?: yet)? | (?:it'?s|it is) not done(?: yet)? | not finished(?: yet)? | not yet
    | (?:todavia|aun) no(?: esta)?(?: hecha| lista| terminada)? | no esta (?:hecha|lista|terminada)
    | ainda nao(?: terminei| acabei| esta pronta| esta feita)?
    | nao (?:esta|ta) (?:pronta|feita|pronto|feito)""",
)

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
_GREETING_LEAD = re.compile(rf"(?:{_GREETING})[\s,!.]+")
# A greeting closed by punctuation before the request: "Good afternoon. I have ...", "Buenas
# tardes, tengo ...". Without the mark, "morning meeting at 9" keeps its first word.
_GREETING_SAID = re.compile(rf"(?:{_GREETING})(?:[\s,]+(?:{_GREETING}))?\s*[,!.?;]+\s*")


def greeting_end(plain: str) -> int:
    """Where the request starts after a greeting said first, or 0."""
    m = _GREETING_SAID.match(plain)
    return m.end() if m and m.end() < len(plain) else 0


LANGUAGE_NAMES: dict[str, Lang] = {
    "english": "en", "ingles": "en", "en": "en",
    "spanish": "es", "espanol": "es", "castellano": "es", "espanhol": "es", "es": "es",
    "portuguese": "pt", "portugues": "pt", "portuguesa": "pt", "pt": "pt", "brazilian": "pt",
    "brasileiro": "pt",
}  # fmt: skip
_LANG_NAME = words(" ".join(k for k in LANGUAGE_NAMES if len(k) > 2))
_SET_LANGUAGE = re.compile(
    r"(?:(?:change|set|switch|cambia|pon|muda|troca|mude)\s+(?:the\s+|my\s+|el\s+|mi\s+|o\s+|meu\s+)?"
    r"(?:language|idioma|lingua)\s+(?:to\s+|a\s+|al\s+|para\s+|pra\s+|em\s+|en\s+)?)?"
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
        # "opa desfaz", "hey undo", "hola, listo": an interjection, then what was asked.
        rest = _GREETING_LEAD.sub("", core, count=1)
        found = small_talk(rest) if rest and rest != core else None
        return found if found is not None and not isinstance(found, Greeting | Choose) else Greeting()
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
