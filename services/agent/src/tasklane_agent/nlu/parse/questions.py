"""Questions about one task or one project: "when's the dentist?", "para cuándo era lo de
Techint?", "quando é a consulta da Sofia?"; "what's left in Q3 Launch?", "q falta en migracion
nube?", "o que falta na reforma da granja viana".

A "when" question names its task by a few title words (the engine finds it, tolerantly, and answers
with its date); a "what's left" question names a project (the engine lists its open tasks). Both
are read before the task commands: a question never creates or changes anything.
"""

from __future__ import annotations

import re
from datetime import datetime

from tasklane_agent.domain.language import Lang
from tasklane_agent.nlu.commands import Command, ListTasks, TaskDue, TaskRef
from tasklane_agent.nlu.parse.common import Grammar, Message, blank, clean_project, due_in, parse_ref, squash

# "..., que no me acuerdo", "? no me acuerdo jaja": why it is asked.
_FORGOT = r"(?:que\s+|q\s+|porque\s+)?(?:ya\s+)?no\s+me\s+acuerdo(?:\s+\w+)?"
# The question, a verb that must follow it (so "cuando puedas, llama a Juan" is no question), then
# the task's words (group q). Trailing "again", "due", "otra vez", "mesmo" are dropped.
_WHEN: dict[Lang, re.Pattern[str]] = {
    "en": re.compile(
        r"(?:so\s+|and\s+|remind me\s+|sorry\s+)?(?:by\s+|until\s+|till\s+)?(?P<when>when|what time|what day"
        r"|what date|which day)"
        r"(?:'s|s|\s+(?:is|was|are|were|will be|do i have|do we have|have i got|did i (?:set|put|schedule)"
        r"|did we (?:set|put|schedule)|(?:can|could|should|must|do|did|will|shall|am|are)\s+(?:i|we)"
        r"(?:\s+(?:have to|need to|got to))?))\s+(?P<q>.+?)"
        r"(?:\s+(?:again|due|happening|scheduled|set for|supposed to be|planned|booked|at|on))*"
    ),
    "es": re.compile(
        # "q" (or "k") is how "que" is typed on a phone ("a q hora era la junta?").
        r"(?:y\s+|oye\s+)?(?:para\s+|a\s+)?(?P<when>cuando|(?:que|q|k)\s+hora|(?:que|q)\s+dia|(?:que|q)\s+fecha"
        r"|para (?:que|q) dia|para (?:que|q) fecha)\s+(?:es|era|fue|seria|sera|tengo|tenia|tenemos|teniamos"
        r"|toca|tocaba|hay|habia|vence|vencia|queda|quedo|quedamos|pusimos|puse|esta|estaba|me toca|me tocaba"
        r"|tenia que|tengo que|puedo|podemos|debo|debemos|hay que|tenemos que)"
        rf"\s+(?:que\s+)?(?P<q>.+?)(?:\s+(?:otra vez|de nuevo|al final|mismo))*(?:[?\s,]+{_FORGOT})?"
    ),
    "pt": re.compile(
        r"(?:e\s+)?(?:pra\s+|para\s+|a\s+)?(?P<when>quando|qnd|qdo|(?:que|q) horas|(?:que|q) dia|qual dia"
        r"|(?:que|q) data|qual a data"
        r"|qual e a data|qual o dia|qual e o dia)\s+(?:que\s+)?(?:e que e|e|eh|era|foi|sera|vai ser|tenho"
        r"|tinha|temos|tem|ta|esta|estava|fica|ficou|vence|vencia|marquei|marcamos|ficou marcad[ao]"
        r"|ta marcad[ao]|esta marcad[ao]|tenho que|tinha que|posso|podemos|devo|devemos|preciso|temos que)"
        r"\s+(?:que\s+)?(?P<q>.+?)(?:\s+(?:mesmo|de novo|ai))*"
    ),
}
# The question after the task: "e a consulta, é quando?", "la entrega es para cuándo?".
_WHEN_AFTER: dict[Lang, re.Pattern[str]] = {
    "en": re.compile(r"(?:and\s+|so\s+)?(?P<q>.+?),?\s+(?:is|was|is due|was due)\s+when"),
    "es": re.compile(
        r"(?:y\s+)?(?P<q>.+?),?\s+(?:es|era|vence|vencia|toca|tocaba|quedo|queda)\s+(?:para\s+)?(?P<when>cuando)"
        # "y la misa de difuntos a qué hora es, que no me acuerdo"
        r"|(?:y\s+)?(?P<q2>.+?),?\s+(?:a|para)\s+(?P<when2>(?:que|q)\s+(?:hora|dia))\s+(?:es|era|toca|tocaba|seria)"
        rf"(?:[?\s,]+{_FORGOT})?"
    ),
    "pt": re.compile(
        r"(?:e\s+)?(?P<q>.+?),?\s+(?:e|eh|era|vence|vencia|fica|ficou|ta marcad[ao]|esta marcad[ao])"
        r"\s+(?:pra\s+|para\s+)?(?P<when>quando)"
    ),
}
# Words left at the ends of the task's words that are not part of its title.
_Q_LEAD = re.compile(r"^(?:the|my|our|that|this|lo|la|el|mi|de|del|o|a|meu|minha|do|da)(?:\s+|$)")
_Q_TRAIL = re.compile(r"(?:^|\s+)(?:thing|one|task|tarea|tarefa|again|due)$")

# "what's left in P", "what do we still need to do for P", "que falta en P", "o que falta na P".
_LEFT: dict[Lang, re.Pattern[str]] = {
    "en": re.compile(
        r"(?:so\s+|and\s+)?(?:what(?:'s|s| is| are)?|anything)\s+(?:still\s+)?(?:left|remaining|outstanding"
        r"|open|still open|pending|to do|still to do|undone|not done(?: yet)?)(?:\s+to\s+do)?"
        r"\s+(?:in|on|for|with|of|from)\s+(?P<p>.+)"
        r"|what\s+(?:do|does|did)\s+(?:we|i|you)\s+(?:still\s+)?(?:need|have|got)\s+to\s+"
        r"(?:do|finish|get done)\s+(?:in|on|for|with)\s+(?P<p2>.+)"
        r"|what\s+(?:still\s+)?(?:needs|remains)\s+(?:to be\s+)?(?:done|doing)?\s*(?:in|on|for|with)"
        r"\s+(?P<p3>.+)"
        r"|what\s+(?:else\s+)?(?:is there|do we have|have we got)\s+(?:left\s+)?(?:to do\s+)?(?:in|on|for)"
        r"\s+(?P<p4>.+)"
    ),
    "es": re.compile(
        r"(?:y\s+)?(?:que|q|k|ke)\s+(?:me\s+|nos\s+|te\s+|le\s+)?(?:falta|faltan|queda|quedan|hay pendiente"
        r"|esta pendiente|sigue pendiente|tenemos pendiente|tengo pendiente)(?:\s+(?:por hacer|hacer|todavia"
        r"|aun|pendiente))*\s+(?:en|de|del|para|con)\s+(?P<p>.+)"
        r"|(?:y\s+)?lo que (?:falta|queda)(?:\s+(?:por hacer|hacer|todavia|aun))*\s+(?:en|de|del|para|con)"
        r"\s+(?P<p2>.+)"
    ),
    "pt": re.compile(
        r"(?:e\s+)?(?:o\s+)?(?:que|q|oq|oque)\s+(?:que\s+)?(?:ainda\s+)?(?:falta|faltam|resta|restam"
        r"|tem pendente|ta pendente|esta pendente|sobrou|ficou pendente)"
        r"(?:\s+(?:fazer|ainda|pra fazer|para fazer))*"
        r"\s+(?:no|na|em|do|da|pro|pra|para o|para a|para|de|nos|nas)\s+(?P<p>.+)"
    ),
}
_LIST_WORDS = re.compile(
    r"(?:(?:my|the|mi|mis|la|minha|a)\s+)?(?:list|tasks|to-?do(?:\s+list)?|lista|tareas|tarefas|agenda|week"
    r"|semana|plate)"
)


# "qual o prazo do relatório?", "qual é a data da vacina", "e o horário do dentista?": the date asked
# for by its noun.
_DATE_OF: dict[Lang, re.Pattern[str]] = {
    "pt": re.compile(
        r"(?:e\s+)?(?:qual\s+(?:e\s+|eh\s+|era\s+)?)?(?:o|a)\s+(?P<when>prazo|data|dia|vencimento|horario)"
        r"(?:\s+(?:de entrega|final|limite|marcad[oa]))?\s+(?:d[oa]s?|de)\s+(?P<q>.+?)"
        r"(?:\s+(?:mesmo|de novo))*"
    ),
}


def task_due(g: Grammar, msg: Message, now: datetime) -> Command | None:
    """ "when's the dentist?" -> ``TaskDue`` naming the task by its words (or "it")."""
    m = _WHEN[g.lex.lang].fullmatch(msg.plain) or _WHEN_AFTER[g.lex.lang].fullmatch(msg.plain)
    date_of = _DATE_OF.get(g.lex.lang)
    if m is None and date_of is not None and (msg.question or msg.plain.startswith("qual")):
        m = date_of.fullmatch(msg.plain)
    if m is None:
        return None
    group = "q" if m.groupdict().get("q") else "q2"
    folded, original = m.group(group), msg.original(m, group)
    due = due_in(original, now, g.lex.lang)
    if "," in folded or (due is not None and not msg.question):
        return None
    if due is not None and not squash(blank(folded, due.start, due.end)):
        return None  # "what day is tomorrow?", "que dia es hoy?": about the calendar

    ref = parse_ref(g.lex, folded, original, (_Q_LEAD, _Q_TRAIL))
    if (
        ref is not None
        and ref.pronoun
        and (m.groupdict().get("when") or m.groupdict().get("when2")) not in ("when", None)
        and g.lex.lang == "en"
    ):
        return None  # "what time is it?", "what day is it?": about the clock, not a task
    if ref is None or ref == TaskRef():
        # "when can I call?": a question word or a broad one; still a question about a task, which
        # the engine answers plainly when no title holds those words.
        words = squash(original)
        if not words or re.search(
            r"\b(?:all|every|everything|todas|todos|tudo|tasks|tareas|tarefas)\b", folded
        ):
            return None
        ref = TaskRef(query=words)
    return TaskDue(ref)


# What the user has not done yet: "ugh i totally forgot to send bloom the invoice yesterday", "i
# still havent paid sam back for the pizza". Not a completion and no new task: the task is shown
# with its date, and in focus for what comes next ("push it to tmrw morning"). After "to" or
# "didn't" the verb is the title's own; a participle ("paid") is left out of the words.
_NOT_YET: dict[Lang, re.Pattern[str]] = {
    "en": re.compile(
        r"(?:(?:ugh|argh|oh no|oops|damn|dang|omg|whoops)\s+)*(?:i|we)\s+(?:totally\s+|completely\s+|just\s+"
        r"|clean\s+|kinda\s+)?(?:forgot|forgotten|have forgotten|'ve forgotten|ve forgotten)"
        r"\s+(?:to|about)\s+"
        r"(?P<verb>[a-z]+)\s+(?P<q>.+?)"
        r"|(?:i|we)\s+(?:still\s+)?(?:didn'?t|did not|never)\s+(?:get to\s+|get round to\s+|manage to\s+)?"
        r"(?P<verb2>[a-z]+)\s+(?P<q2>.+?)(?:\s+yet)?"
        r"|(?:i|we)\s+(?:still\s+)?(?:haven'?t|havent|have not)\s+(?:yet\s+)?[a-z]+\s+(?P<q3>.+?)(?:\s+yet)?"
    ),
}
_WHEN_SAID = re.compile(
    r"(?:\s+(?:yesterday|today|this morning|last night|again|lol|lmao|haha|ugh|yet|either|still))+$"
)
_SAID_NOT_DONE = frozenset({"finish", "finished", "complete", "completed", "do", "done", "mark", "tick"})


def not_done_yet(g: Grammar, msg: Message, now: datetime) -> Command | None:
    """ "i forgot to send bloom the invoice" -> ``TaskDue`` of that task: shown, and in focus."""
    pattern = _NOT_YET.get(g.lex.lang)
    m = pattern.fullmatch(msg.plain.rstrip(" .!?")) if pattern is not None else None
    if m is None or msg.question:
        return None
    group = next(name for name in ("q", "q2", "q3") if m.group(name))
    verb = m.group("verb") or m.group("verb2") or ""
    if verb in _SAID_NOT_DONE:
        return None  # "i didn't finish the report": reopening it is the reading
    lo = m.start("verb") if m.group("verb") else m.start("verb2") if verb else m.start(group)
    folded, original = msg.plain[lo : m.end(group)], msg.text[msg.start + lo : msg.start + m.end(group)]
    cut = _WHEN_SAID.search(folded)
    if cut is not None:
        folded, original = folded[: cut.start()], original[: cut.start()]
    ref = parse_ref(g.lex, folded, original, (_Q_LEAD, _Q_TRAIL))
    if ref is None or ref.query is None:
        return None
    return TaskDue(ref)


def whats_left(g: Grammar, msg: Message, now: datetime) -> Command | None:
    """ "what's left in Q3 Launch?" -> the open tasks of that project."""
    m = _LEFT[g.lex.lang].fullmatch(msg.plain)
    if m is None:
        return None
    group = next(name for name in ("p", "p2", "p3", "p4") if m.groupdict().get(name))
    folded, original = m.group(group), msg.original(m, group)
    # "what's left for today", "what's left on my list": the list parser reads those.
    if _LIST_WORDS.fullmatch(folded.strip()) or due_in(original, now, g.lex.lang) is not None:
        return None
    name = clean_project(g.lex, folded, original)
    return ListTasks(scope="open", project=name) if name else None
