"""The languages the offline engine reads and answers in, and guessing which one a message is in.

``detect(text, default)`` scores the message's words against three small lexicons of words that are
frequent in one language and rare in the other two (articles, prepositions, pronouns, the task
vocabulary of this assistant). Words the languages share ("no", "a", "me", "de", "para", "que",
"semana") score nothing: they cannot tell Spanish from Portuguese.

The user's current language (``default``) is sticky. A message switches it only when another
language scores at least 2 and strictly more than the current one, so:

- one-word and symbolic messages ("ok", "#3", "👍", "sí", "gracias", "sim") never switch: they are
  too short to be sure, and the parser reads yes/no/thanks in every language anyway;
- "mis tareas" (two Spanish words) switches an English user to Spanish;
- a tie between Spanish and Portuguese keeps the current language.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from tasklane_agent.domain.language import LANGS, Lang


def _bag(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words are compared without accents and in lower case (people type "manana", "voce", "tambien").
_EN = _bag("""
the to my is it and for of in on with what whats how please pls plz task tasks todo todos create
add new remind show list mark delete remove today tomorrow tmrw week project projects you this
that at by have can due next high low priority set move make assign call buy pay send email
meeting i im i'm we our your are was were be been will would should could don't dont get give
tell ask about from all any anything everything overdue finished completed reopen undo thanks
thank hello hi hey morning evening afternoon tonight monday tuesday wednesday thursday friday
saturday sunday weekend change rename push postpone help yes yeah yep sure okay nope speak
english spanish portuguese timezone there these those which who when where why up out off back
invite team teammates leave
""")
_ES = _bag("""
el la los las un una unos unas del al con mi mis tus su sus y pero muy tambien tarea tareas
crea crear creame nueva agrega agregar anade anadir recuerdame recuerda recordar hoy manana
lunes martes miercoles jueves viernes proyecto proyectos borra borrar elimina eliminar hecho
hecha hechas listo termine terminado completada completado quiero tengo hay eso
esa esto estas estos gracias hola vale dale porfa puedes pon ponle cambia cambiar
mueve mover asigna asignar ayuda llamar reunion hacer zona horaria espanol ingles portugues
vencido vencida vencidas vencidos pendientes cuando donde cual cuales como buenos
buenas dias tardes noches deshacer deshaz quita quitar cuanto estoy soy yo nosotros ellos
hazlo llamada pospon en lo le les renombra informe informes recuerdame necesito olvides apunta
anota luego noche enviar parche
invita invitar equipo salir
""")
_PT = _bag("""
o os um uma uns umas da dos das na nas pra pro com meu minha meus minhas voce vc e
muito tambem tarefa tarefas cria criar nova adiciona adicionar lembra lembrar lembre hoje amanha
terca quarta quinta sexta projeto projetos apaga apagar exclui excluir feito feita feitas
pronta terminei conclui concluida concluido quero tenho tem isso essa esse isto aquilo obrigado
obrigada valeu oi ola sim nao pode coloca muda mudar adia adiar atribui atribuir ajuda ligar
reuniao fazer fuso horario portugues espanhol ingles atrasado atrasada atrasadas atrasados ate
ja quando onde qual quais como bom boa noite desfaz desfazer tira tirar quanto estou
sou eu eles faz fala em num numa pelo pela ao aos seu sua ele ela conta pendente pendentes relatorio
relatorios preciso esquece anota depois feira
convida convidar equipe sair
""")
# "como", "ingles", "portugues", "ajuda"/"ayuda" are close enough across es/pt that a word present
# in both lists would score for both; drop the shared ones so only distinctive words count.
_SHARED = _ES & _PT
_LEXICON: dict[Lang, frozenset[str]] = {"en": _EN, "es": _ES - _SHARED, "pt": _PT - _SHARED}
_WORD = re.compile(r"[a-z]+")
# Letters and endings only one of the two Iberian languages uses.
_ES_MARKS = re.compile(r"[ñ¿¡]|ci[oó]n(?:es)?\b")
_PT_MARKS = re.compile(r"[ãõç]|ç[ãa]o\b|ções\b|\bvocê\b|\bé\b|\bàs?\b")


@cache
def _fold_char(ch: str) -> str:
    if ch in "\u2018\u2019\u00b4`":
        return "'"
    if ch in "\u201c\u201d":
        return '"'
    low = ch.lower()[:1] or ch
    base = unicodedata.normalize("NFKD", low)[:1]
    return base if base and not unicodedata.combining(base) else low


def fold(text: str) -> str:
    """Lower case, no diacritics, straight quotes, and *the same length* as ``text``.

    "Mañana" -> "manana", "Você" -> "voce". Keeping the length lets the parsers match on the folded
    text and cut titles and names out of the original at the same offsets, with the user's casing
    and accents intact.
    """
    return "".join(map(_fold_char, text))


def scores(text: str) -> dict[Lang, int]:
    """How many distinctive words (and marks) of each language ``text`` holds."""
    lowered = text.lower()
    words = _WORD.findall(fold(text).replace("'", " "))
    result: dict[Lang, int] = {lang: sum(w in _LEXICON[lang] for w in words) for lang in LANGS}
    # One point for the marks, however many: "ação ação" is no surer than "ação".
    result["es"] += 1 if _ES_MARKS.search(lowered) else 0
    result["pt"] += 1 if _PT_MARKS.search(lowered) else 0
    return result


def detect(text: str, default: Lang) -> Lang:
    """The language ``text`` is written in, or ``default`` when the message cannot tell."""
    score = scores(text)
    best = max(LANGS, key=lambda lang: (score[lang], lang == default))
    if best == default or score[best] < 2 or score[best] <= score[default]:
        return default
    # Spanish and Portuguese tied above the current language: too close to call.
    if sum(score[lang] == score[best] for lang in LANGS) > 1:
        return default
    return best


# One-word greetings and thanks that only one language uses: too short for ``detect``, yet a
# "hola" deserves an answer in Spanish.
_SMALL_TALK: dict[str, Lang] = {
    "hola": "es", "buenas": "es", "gracias": "es", "buenos dias": "es", "buenas tardes": "es",
    "buenas noches": "es", "muchas gracias": "es",
    "ola": "pt", "oi": "pt", "obrigado": "pt", "obrigada": "pt", "valeu": "pt", "bom dia": "pt",
    "boa tarde": "pt", "boa noite": "pt", "muito obrigado": "pt", "muito obrigada": "pt",
    "hello": "en", "hi": "en", "thanks": "en", "thank you": "en", "good morning": "en",
}  # fmt: skip


def small_talk_language(text: str) -> Lang | None:
    """The language of a greeting or a thank-you said in a word or two, if only one uses it."""
    return _SMALL_TALK.get(" ".join(_WORD.findall(fold(text))))
