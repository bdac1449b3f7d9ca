"""Filing a task under a project the user already has: "put it under Dissertation", "file the dr
alvarez meeting under dissertation", "that deprecation notice belongs in platform migration",
"ponla en Casa Pedregal", "mete lo del impermeabilizante en el proyecto de casa pedregal", "põe no
Natal", "move configurar o monitoramento pro projeto de migracao".

The parser cannot know the user's projects and tasks, so a move is a proposal: ``MoveTask`` holds
the task's reference, the project's name as typed, and what the message reads as otherwise (the
caller fills that in), which the engine carries out when no such project or task exists.

Also here: a new task put straight into a project with a colon, "coloca no projeto mudanca:
desligar a internet dia 10", "pon en el proyecto Casa: llamar al plomero".
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from tasklane_agent.domain.language import Lang
from tasklane_agent.nlu.commands import Command, CreateInProject, MoveTask, TaskRef, Unknown
from tasklane_agent.nlu.parse import tasks as parse_tasks
from tasklane_agent.nlu.parse.common import (
    Grammar,
    Message,
    clean_project,
    due_in,
    looks_like_person,
    parse_ref,
)

# A project keyword before the name: a move said with it is surely about a project.
_KEYWORD = (
    r"(?:(?:the|my|our|el|mi|nuestro|o|meu|nosso)\s+)?(?:project|proj|proyecto|projeto)\s+"
    r"(?:(?:de|do|da)\s+)?"
)
_VERBS: dict[Lang, str] = {
    "en": r"(?:put|move|file|stick|place|throw|shift|add|transfer|drop|chuck|slot|bung|pop)",
    "es": (
        r"(?:pon|ponlo|ponla|poner|ponerlo|ponerla|pone|mete|metelo|metela|meter|meterlo|meterla|mueve|muevelo"
        r"|muevela|mover|moverlo|moverla|move|movelo|movela|pasa|pasalo|pasala|pasar|pasarlo|pasarla|lleva"
        r"|llevalo|llevala|archiva|archivalo|archivala|guarda|guardalo|guardala|agrega|agregala|agregalo"
        r"|agregar|anade|anadir|suma|manda|mandalo|mandala)"
    ),
    "pt": (
        r"(?:poe|por|ponha|coloca|colocar|coloque|bota|botar|bote|move|mover|mova|manda|mandar|passa|passar"
        r"|passe|joga|jogar|leva|levar|arquiva|guarda|adiciona|adicionar|adicione|inclui|incluir|mete)"
    ),
}
# Words that put something inside a project (in every case) and those that give something to
# someone too ("pasa la tarea a Juan"): these need the project keyword, bar English "to".
_INTO: dict[Lang, tuple[str, str]] = {
    "en": (r"(?:in|into|under|onto|inside|within|to|on)", r""),
    "es": (r"(?:en|dentro de|bajo)", r"(?:al|a|para)"),
    "pt": (r"(?:no|na|em|dentro do|dentro da|nos|nas)", r"(?:pro|pra|para o|para a|para|ao|a)"),
}
# Verbs that also hand a task to someone: only with the project keyword.
_GIVING = re.compile(
    r"(?:pasa|pasalo|pasala|pasar|pasarlo|pasarla|passa|passar|passe|manda|mandalo|mandala|mandar)$"
)
# "X belongs in P", "the X one should be in P", "X va en P", "X vai no P".
_BELONGS: dict[Lang, re.Pattern[str]] = {
    "en": re.compile(
        r"(?P<ref>.+?)\s+(?:go\s+(?:in|into|under)|(?:belongs|belong|goes|should go|should be|has to go"
        r"|needs to go|must go|should live|lives)\s+(?:in|into|under|with|to|on)|is part of|belongs? to)"
        r"\s+(?P<project>.+)"
    ),
    "es": re.compile(
        r"(?P<ref>.+?)\s+(?:(?:va|iba|deberia ir|tiene que ir|debe ir|deberia estar|tiene que estar)"
        r"\s+(?:en|al|dentro de)|pertenece a|corresponde a|es parte de|es del proyecto)\s+(?P<project>.+)"
    ),
    "pt": re.compile(
        r"(?P<ref>.+?)\s+(?:(?:vai|devia ir|deveria ir|tem que ir|devia estar|deveria estar|tem que estar)"
        r"\s+(?:no|na|pro|pra|em|dentro do|dentro da)|pertence ao|pertence a|faz parte do|faz parte da"
        r"|e do projeto)\s+(?P<project>.+)"
    ),
}
# Asked rather than said: "could the tulip bulbs go in my Garden project", "can the invoice live under
# Admin".
_COULD_GO: dict[Lang, re.Pattern[str] | None] = {
    "en": re.compile(
        r"(?:could|can|would|will|should|shall)\s+(?P<ref>.+?)\s+"
        r"(?:go|be put|be moved|be filed|live|sit|move)\s+(?:in|into|under|with|to|over to)\s+"
        r"(?P<project>.+?)(?:\s+instead|\s+now)?\??"
    ),
    "es": None,
    "pt": None,
}
# Noise around a task's words: determiners, "one", "thing", Spanish "lo de", Portuguese "aquilo do".
_REF_LEAD = re.compile(
    r"^(?:that|this|those|these|lo|eso|esa|ese|aquilo|aquela|aquele|esse|essa|isso)(?:\s+|$)"
)
_REF_TRAIL = re.compile(r"(?:^|\s+)(?:one|thing|task|tarea|tarefa|item|too|also|tambien|tambem)$")
_PRONOUN_CLITIC = re.compile(r".*(?:lo|la)$")
_ADDING = re.compile(
    r"(?:add|agrega|agregala|agregalo|agregar|anade|anadir|suma|adiciona|adicionar|adicione|inclui|incluir)"
)
# Words pointing at a task the user has: "the visa task", "lo del seguro", "aquilo do peru".
_DEFINITE = re.compile(
    r"(?:the|that|this|my)\s+.+\s+(?:task|one|thing|item)|(?:lo|la|el)\s+del?\s.+|(?:la|esa|esta)\s+tarea\s.+"
    r"|(?:aquilo|aquela|aquele|o|a)\s+d[oa]s?\s.+|(?:a|essa|esta)\s+tarefa\s.+"
)
# Portuguese names a thing it has with an article: "põe os ícones em svg no projeto X".
_DEFINITE_PT = re.compile(r"(?:os|as|o|a)\s+(?!\d)\S.*")
_NEW_TASK = re.compile(
    r"\S+\s+(?:(?:a|an|new|one|another|una|un|nueva|otra|uma|um|nova|outra)\s+)?(?:task|todo|tarea|tarefa)\b"
)
# Where a task goes that is not a project: "add it to my list", "ponlo en la agenda".
_NOT_A_PROJECT = re.compile(
    r"(?:(?:my|the|mi|la|minha|a|o|meu)\s+)?(?:list|to-?do(?:\s+list)?|tasks|calendar|agenda|lista|tareas"
    r"|tarefas|calendario|pendientes)|it|that|there|ahi|ai|la|lo|here|aqui|#?\d{1,3}"
)


def _patterns(lang: Lang) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    verb, (into, giving) = _VERBS[lang], _INTO[lang]
    preps = f"(?:{into}|{giving})" if giving else into
    move = re.compile(
        rf"(?P<verb>{verb})(?:\s+(?P<ref>.+?))?\s+(?P<prep>{preps})\s+(?P<kw>{_KEYWORD})?(?P<project>[^:]+)"
    )
    colon = re.compile(rf"{verb}\s+(?:{preps})\s+(?P<project>[^:]+?)\s*:\s*")
    # The verb and its preposition alone, a project's name and a title after them; after a verb
    # of adding, "to" too ("agregá al grupal de marketing armar las diapositivas").
    adding = (
        r"|(?P<adding>agrega|agregale|anade|anadele|suma|mete|apunta|anota)\s+(?:al|a\s+la|a)"
        if lang == "es"
        else ""
    )
    titled = re.compile(rf"(?:(?P<verb>{verb})\s+(?:{into}){adding})\s+(?=\S)")
    # With the project keyword, the task's words run up to it: "põe os ícones em svg no projeto X".
    keyword = re.compile(
        rf"(?P<verb>{verb})(?:\s+(?P<ref>.+))?\s+(?P<prep>{preps})\s+(?P<kw>{_KEYWORD})(?P<project>[^:]+)"
    )
    return move, colon, titled, keyword


_ON_THE_LIST = re.compile(
    r"(?:(?:my|the|mi|la|minha|a|o|meu)\s+)?(?:list|lista|agenda|to-?do(?:\s+list)?|tareas|tarefas)\s"
)
_STARTS_WITH_KEYWORD = re.compile(
    rf"{_KEYWORD}|(?:(?:my|the|mi|la|minha|a|o|meu)\s+)?(?:list|lista|agenda)\b"
)
_MOVE = {lang: _patterns(lang) for lang in ("en", "es", "pt")}


def new_in_project(g: Grammar, msg: Message, now: datetime) -> Command | None:
    """ "coloca no projeto mudanca: desligar a internet dia 10": a new task in that project;
    without the colon ("põe na obra do solar impermeabilizar a laje"), a task whose title begins
    with a project's name (``CreateInProject``, its ``otherwise`` left for the caller)."""
    m = _MOVE[g.lex.lang][1].match(msg.plain)
    if m is None:
        return _titled_by_project(g, msg, now)
    if m.end() >= len(msg.plain):
        return None
    project = clean_project(g.lex, m.group("project"), msg.original(m, "project"))
    if not project or _NOT_A_PROJECT.fullmatch(m.group("project").strip()):
        return None
    return parse_tasks.draft(g, msg, msg.start + m.end(), msg.end, now, project=project)


# The project first: "en app fidelización añade diseñar la pantalla ...", "para la boda apunta ...".
_PROJECT_FIRST: dict[Lang, re.Pattern[str]] = {
    "en": re.compile(r"$^"),
    "es": re.compile(
        r"(?:en|para)\s+(?!(?:mi|la|mis)\s+(?:lista|agenda|tareas|pendientes)\b)(?P<project>\S+(?:\s+\S+){0,3}?)"
        r"\s*,?\s+(?:agrega|agregame|anade|anademe|apunta|apuntame|anota|anotame|pon|ponme|mete)\s+(?=\S)"
    ),
    "pt": re.compile(r"$^"),
}


def _project_first(g: Grammar, msg: Message, now: datetime) -> CreateInProject | None:
    m = _PROJECT_FIRST[g.lex.lang].match(msg.plain)
    # "en dos semanas apunta ...": a date, not a project.
    if m is None or due_in(msg.text[msg.start : msg.start + m.end("project")], now, g.lex.lang) is not None:
        return None
    task = parse_tasks.draft(g, msg, msg.start + m.end(), msg.end, now)
    if len(task.title.split()) < 2 or task.project:
        return None
    # The engine splits a project's name off the start of the title, as for "põe na obra ...".
    return CreateInProject(
        replace(task, title=f"{msg.original(m, 'project')} {task.title}"), otherwise=Unknown()
    )


def _titled_by_project(g: Grammar, msg: Message, now: datetime) -> CreateInProject | None:
    first = _project_first(g, msg, now)
    if first is not None:
        return first
    m = _MOVE[g.lex.lang][2].match(msg.plain)
    verb = m.group("verb") or m.group("adding") if m else ""
    if m is None or _PRONOUN_CLITIC.match(verb) or _STARTS_WITH_KEYWORD.match(msg.plain, m.end()):
        return None
    task = parse_tasks.draft(g, msg, msg.start + m.end(), msg.end, now)
    if len(task.title.split()) < 2 or task.project:
        return None
    return CreateInProject(task, otherwise=Unknown())


def move(g: Grammar, msg: Message, now: datetime) -> MoveTask | None:
    """A task filed under a project, or None. ``otherwise`` is left for the caller to fill."""
    lang = g.lex.lang
    plain = msg.plain
    # "add task X to ...": the task grammars read it.
    if ":" in plain or _NEW_TASK.match(plain):
        return None
    m = _MOVE[lang][3].fullmatch(plain) or _MOVE[lang][0].fullmatch(plain)
    if m is not None:
        keyword = bool(m.group("kw"))
        verb = m.group("verb")
        into = re.fullmatch(_INTO[lang][0], m.group("prep")) is not None
        if not keyword and (not into or _GIVING.match(verb)):
            return None
        ref_folded = m.group("ref") or ""
        ref_original = msg.original(m, "ref") if ref_folded else ""
        if (
            ref_folded
            and verb in ("add", "agrega", "anade", "adiciona", "inclui", "suma")
            and looks_like_person(ref_original.lstrip("@"))
        ):
            return None  # "add Ana to the Website project": a teammate
        if not ref_folded and not _PRONOUN_CLITIC.match(verb) and lang == "en":
            return None
        adds = bool(_ADDING.fullmatch(verb))
        found = _build(g, msg, now, ref_folded, ref_original, m, keyword, dated=adds)
        if found is None:
            return None
        return replace(
            found,
            adds=adds,
            definite=bool(
                _DEFINITE.fullmatch(ref_folded.strip())
                or (lang == "pt" and _DEFINITE_PT.fullmatch(ref_folded.strip()))
            ),
        )
    could = _COULD_GO[lang]
    b = (could.fullmatch(plain) if could is not None else None) or _BELONGS[lang].fullmatch(plain)
    if b is not None:
        found = _build(g, msg, now, b.group("ref"), msg.original(b, "ref"), b, keyword=False)
        return replace(found, definite=True) if found is not None else None
    return None


def _build(
    g: Grammar,
    msg: Message,
    now: datetime,
    ref_folded: str,
    ref_original: str,
    m: re.Match[str],
    keyword: bool,
    *,
    dated: bool = False,
) -> MoveTask | None:
    folded_project, original_project = m.group("project"), msg.original(m, "project")
    # "... in bloom rebrand, can u move it there pls": a name ends at a comma, and "please" is no
    # part of it.
    comma = folded_project.find(",")
    if comma > 0:
        folded_project, original_project = folded_project[:comma], original_project[:comma]
    polite = g.polite_suffix.search(folded_project)
    if polite is not None and polite.start() > 0:
        folded_project, original_project = (
            folded_project[: polite.start()],
            original_project[: polite.start()],
        )
    if dated:
        # "add pick up keys to apartment move for saturday": the new task's date ends the message;
        # the project's name is what comes before it (the date goes with the task, read otherwise).
        due = due_in(original_project, now, g.lex.lang)
        if due is not None and due.start > 0 and not original_project[due.end :].strip(" .!?"):
            folded_project, original_project = folded_project[: due.start], original_project[: due.start]
    project = clean_project(g.lex, folded_project, original_project)
    if not project or (not keyword and _NOT_A_PROJECT.fullmatch(folded_project.strip())):
        return None
    if not keyword and _ON_THE_LIST.match(folded_project.strip()):
        return None  # "bota na lista comprar fralda": a new task on the list
    # With its preposition: "en 2 semanas" is a date where "2 semanas" alone is not.
    lo = m.start("prep") if m.groupdict().get("prep") else m.start("project")
    hi = m.start("project") + len(folded_project)
    if due_in(msg.text[msg.start + lo : msg.start + hi], now, g.lex.lang) is not None:
        return None
    if not ref_folded:
        return MoveTask(TaskRef(pronoun=True), project)
    ref = parse_ref(g.lex, ref_folded, ref_original, (_REF_LEAD, _REF_TRAIL))
    # "pon la 3 en el proyecto Casa": a number, not 3 o'clock; words with a date are a new task.
    if ref is None or (ref.query is not None and due_in(ref_original, now, g.lex.lang) is not None):
        return None
    return MoveTask(ref if ref != TaskRef() else TaskRef(pronoun=True), project)
