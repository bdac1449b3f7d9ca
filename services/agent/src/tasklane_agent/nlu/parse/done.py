"""Completion said in other words: several list numbers at once, what the user did, a check mark.

- "2 and 4 are done", "1, 3 done", "la uno y la dos ya están hechas", "concluí 2, 3 e 5": the
  grammar's own completion patterns with a *list* of numbers as their reference (``numbers``,
  tried before the single-task changes, whose references refuse lists);
- "paid the rent", "ya llamé al plomero", "mandei o currículo pro estágio": a past-tense verb and
  what it was done to (``statement``). The verb travels as ``TaskRef.verb_forms`` so the engine
  completes without asking only a task whose title holds it too ("pay rent"); a statement that
  matches no task is answered as such, never turned into a new task;
- "👍 dentist", "presupuesto Atlas ✔️", "✅ 3": a check mark at an edge of the message.

A new task asked for in the sentence after it ("... period new task quote the garage") comes
along as ``CompleteTask.then``; other words around a completion are not part of it: a sentence,
filler ("lol", "finally", "tb", "pá"), and when it was done ("last night", "ayer", "ontem").
A statement is never a question, never negated ("forgot to pay rent", "no llamé"), and never
made with the app's own verbs ("moved the dentist to friday", "added milk" are not completions).
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime

from tasklane_agent.domain.language import Lang
from tasklane_agent.nlu.commands import CompleteTask, TaskRef
from tasklane_agent.nlu.language import fold
from tasklane_agent.nlu.parse import tasks as parse_tasks
from tasklane_agent.nlu.parse.common import Grammar, Message, bag, blank, due_in, words
from tasklane_agent.nlu.request_words import STRONG

# ---------------------------------------------------------------- vocabulary, per language

# Said around a completion without changing it.
_FILLER: dict[Lang, str] = {
    "en": r"lol|lmao|haha+|hehe|yay+|woo+hoo+|woo+|phew|omg|finally|at last|already|too|also|as well|both"
    r"|now|tb|for real|thank god|thankfully|yesss*",
    "es": r"ya|jaja+|jeje+|jsjs+|por fin|al fin|finalmente|tambien|tb|ahora|las dos|los dos|ambas|ambos"
    r"|menos mal|gracias a dios|uf+|eh",
    "pt": r"ja|k{2,}|(?:ha){2,}|haha+|hehe+|rs+|finalmente|enfim|ate que enfim|aleluia|tambem|tb|agora|pa|ne"
    r"|as duas|os dois|ambas|ambos|gracas a deus|ufa+|ein|oba|eba|uhu+l?",
}
# When it was done: past, so not a deadline.
_WHEN: dict[Lang, str] = {
    # Only what is surely past: "finish the slides tonight" is a plan, "this morning" may be one.
    "en": r"yesterday|last night|earlier(?: today)?|just now|an hour ago|a while ago|over the weekend"
    r"|last week",
    "es": r"ayer|anoche|antier|anteayer|hoy temprano|hace un rato|recien|el finde pasado|la semana pasada"
    r"|esta manana|esta tarde|hace poco|hace un momento|hace rato|hoy",
    "pt": r"ontem|anteontem|hoje cedo|agora ha pouco|agora pouco|agorinha|ha pouco|mais cedo|cedo"
    r"|semana passada",
}
# A sentence ends: "." or "!" or ";" before more words, or a dictated "period".
# An emoji between words ends one too: "hice el respaldo 🙏 q alivio".
_BREAK = re.compile(
    r"\s+(?:period|full stop|new sentence|punto y aparte|punto|ponto final|ponto)(?:\s+|$)|[.;!]\s+"
    r"|\s*[\u2600-\u27bf\U0001f300-\U0001faff]+\s*(?=\w)"
)

# Before a past-tense verb: its subject, adverbs, clitic pronouns ("ya le mandé").
_LEAD: dict[Lang, str] = {
    "en": r"i|we|i've|ive|we've|weve|i have|we have|just|already|finally|so|ok|okay|yay|also|and|"
    r"i just|ok so",
    "es": r"ya|yo|nosotros|por fin|al fin|finalmente|hoy|ayer|le|les|lo|la|los|las|me|se|nos|te|y|ok|bueno",
    "pt": r"ja|eu|nos|a gente|finalmente|enfim|hoje|ontem|lhe|lhes|me|te|se|e|ok|bom|entao",
}
# Perfect tenses: the participle follows ("he llamado", "I have paid" reads through _LEAD).
_PERFECT: dict[Lang, frozenset[str]] = {
    "en": bag("have has"),
    "es": bag("he hemos habia habiamos"),
    "pt": bag("tenho temos"),
}
# "acabo de llamar", "acabei de mandar": an infinitive after it.
_JUST: dict[Lang, re.Pattern[str]] = {
    "en": re.compile(r"$^"),
    "es": re.compile(r"(?:acabo|acabamos)\s+de\s+"),
    "pt": re.compile(r"(?:acabei|acabamos|acabo)\s+de\s+"),
}

# Verbs that finish without naming the work ("did the dishes", "hice la tarea", "tratei da 2"):
# the title need not hold them.
_DONE_VERBS: dict[Lang, frozenset[str]] = {
    "en": bag(
        "did done finished finshed completed wrapped sorted handled dealt knocked nailed crushed ticked "
        "checked crossed"
    ),
    "es": bag(
        "hice hicimos termine terminamos complete completamos acabe acabamos finalice finalizamos "
        "resolvi resolvimos hecho terminado completado acabado finalizado resuelto cumpli"
    ),
    "pt": bag(
        "fiz fizemos terminei terminamos conclui concluimos acabei acabamos finalizei completei "
        "resolvi resolvemos tratei tratamos cuidei feito terminado concluido resolvido"
    ),
}
# Past forms that are never a completion: the app's own commands, plans, failures.
_NOT_DONE_VERBS: dict[Lang, frozenset[str]] = {
    "en": bag(
        """added created deleted removed moved changed renamed assigned reassigned updated reminded
        scheduled rescheduled postponed pushed bumped shifted extended adjusted edited delayed set
        marked reopened listed asked forgot missed
        skipped failed needed wanted tried meant planned used started decided hoped promised agreed
        thought wondered said told heard saw noticed realised realized guess guessed supposed
        tired bored stressed excited worried scared confused married interested red need feed seed
        speed shed wed bed ted fred ned led bled bred freed embed indeed hundred naked wicked
        sacred"""
    ),
    "es": bag(
        """olvide agregue anadi cree borre elimine movi cambie asigne pospuse intente quise pense dije
        necesite empece comence planee decidi vi oi crei tiene viene puede debe sabe quiere hace sale pone
        dice vive come aqui alli ahi asi mami papi taxi"""
    ),
    "pt": bag(
        """esqueci adicionei criei apaguei exclui removi mudei movi atribui adiei tentei quis pensei
        disse precisei comecei planejei decidi vi ouvi achei sei aqui ali daqui dali ai oi taxi"""
    ),
}
# Irregular past forms and the forms a title holds them in.
_IRREGULAR: dict[Lang, dict[str, tuple[str, ...]]] = {
    "en": {
        "paid": ("pay",), "sent": ("send",), "went": ("go",), "bought": ("buy",), "took": ("take",),
        "made": ("make",), "wrote": ("write",), "met": ("meet",), "brought": ("bring",),
        "rang": ("ring", "call"), "gave": ("give",), "left": ("leave",), "sold": ("sell",),
        "found": ("find",), "read": ("read",), "put": ("put",), "ran": ("run",), "drove": ("drive",),
        "spoke": ("speak", "talk"), "swept": ("sweep",), "threw": ("throw",), "caught": ("catch",),
        "taught": ("teach",), "fed": ("feed",), "hung": ("hang",), "kept": ("keep",), "lent": ("lend",),
        "built": ("build",), "spent": ("spend",), "cut": ("cut",), "shut": ("shut",), "ate": ("eat",),
        "drank": ("drink",), "sang": ("sing",), "flew": ("fly",), "wore": ("wear",), "won": ("win",),
        "dug": ("dig",), "hid": ("hide",), "held": ("hold",), "lit": ("light",), "sat": ("sit",),
        "slept": ("sleep",), "stuck": ("stick",), "swam": ("swim",), "rode": ("ride",),
        "picked": ("pick",), "had": ("have",), "sorted": ("sort",),
        # Participles, for "I have rung Joan", "I've written the card".
        "rung": ("ring", "call"), "gone": ("go",), "written": ("write",), "taken": ("take",),
        "given": ("give",), "driven": ("drive",), "spoken": ("speak", "talk"), "thrown": ("throw",),
        "eaten": ("eat",), "sung": ("sing",), "flown": ("fly",), "worn": ("wear",), "ridden": ("ride",),
        "hidden": ("hide",), "swum": ("swim",), "shown": ("show",), "gotten": ("get",),
        "drawn": ("draw",), "forgiven": ("forgive",), "sewn": ("sew",), "mown": ("mow",),
    },
    "es": {
        "fui": ("ir",), "fuimos": ("ir",), "fue": (), "puse": ("pon",), "pusimos": ("pon",),
        "traje": ("trae", "tra"),
        "trajimos": ("trae", "tra"), "dije": ("dec",), "tuve": ("ten",), "estuve": ("esta",),
        "di": ("dar", "da"), "dimos": ("dar", "da"), "vine": ("ven",), "pude": ("pod",),
        "escrito": ("escrib",), "puesto": ("pon",), "visto": ("ver",), "vuelto": ("volv",),
        "dicho": ("dec",), "abierto": ("abr",), "devuelto": ("devolv",), "ido": (),
        "pague": ("pag",), "llegue": ("lleg",), "entregue": ("entreg",), "saque": ("sac",),
        "busque": ("busc",), "toque": ("toc",), "empece": ("empez",), "explique": ("explic",),
        "juge": ("jug",), "jugue": ("jug",), "lei": ("le",), "pedi": ("ped",), "oi": (),
    },
    "pt": {
        "fui": (), "fomos": (), "foi": (), "dei": ("dar", "da"), "demos": ("dar", "da"),
        "trouxe": ("traz", "trag"), "trouxemos": ("traz", "trag"), "pus": ("por", "poe"),
        "tive": ("ter", "tem"), "estive": ("esta",), "vim": ("vir", "ven"), "pude": ("pod",),
        "li": ("ler", "le"), "vi": ("ver",), "disse": ("diz",), "paguei": ("pag",),
        "liguei": ("lig",), "entreguei": ("entreg",), "busquei": ("busc",), "marquei": ("marc",),
        "fiquei": ("fic",), "expliquei": ("explic",), "toquei": ("toc",), "tirei": ("tir",),
        "comecei": ("comec",), "almocei": ("almoc",),
    },
}  # fmt: skip
# A completion's object, without the words a title need not hold.
_STOP: dict[Lang, frozenset[str]] = {
    "en": bag(
        "the a an my our your his her their its to at for of on in into with from by and over off up "
        "back out away down some this that those these all cheers thanks ta mate"
    ),
    "es": bag(
        "el la los las un una unos unas al del de a en con por para le les lo me mi mis su sus y que se"
    ),
    "pt": bag(
        "o a os as um uma uns umas ao aos do da dos das de em no na nos nas num numa pro pra pros pras "
        "para por com e lhe me meu minha meus minhas seu sua"
    ),
}
# "paid the rent but not the water" and "didn't call": not a completion.
_NEGATION = re.compile(
    r"\b(?:not|never|didn'?t|haven'?t|hasn'?t|havent|wasn'?t|couldn'?t|almost|nearly|no|nunca|todavia|"
    r"aun|nao|ainda|jamais|quase|casi)\b"
)

# ---------------------------------------------------------------- list numbers

_NUMBER_LEAD: dict[Lang, str] = {
    "en": r"the|number|numbers|no\.?|num|nos|task|tasks|item|items|both|off|with",
    "es": r"la|el|las|los|numero|numeros|nro|tarea|tareas|de|del|con",
    "pt": r"a|o|as|os|numero|numeros|tarefa|tarefas|da|do|das|de|com",
}
_CARDINALS: dict[Lang, dict[str, int]] = {
    "en": {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10},
    "es": {"uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
           "ocho": 8, "nueve": 9, "diez": 10},
    "pt": {"um": 1, "uma": 1, "dois": 2, "duas": 2, "tres": 3, "quatro": 4, "cinco": 5, "seis": 6,
           "sete": 7, "oito": 8, "nove": 9, "dez": 10},
}  # fmt: skip
_ITEM_TRAIL = r"(?:\s+(?:one|ones|task|tarea|tarefa))?"
_SEPARATOR = re.compile(r"\s*(?:,\s*(?:and|y|e)\s+|,|&|\+|/|\s(?:and|y|e|plus)\s|\s(?=#?\d))\s*")


def _item_pattern(lang: Lang, ordinals: dict[str, int]) -> re.Pattern[str]:
    names = words(" ".join([*_CARDINALS[lang], *ordinals]))
    return re.compile(
        rf"(?P<lead>(?:(?:{_NUMBER_LEAD[lang]})\s+|#\s*)*)"
        rf"(?:(?P<n>\d{{1,3}})(?:st|nd|rd|th|º|ª)?(?![\w.:/])|(?P<w>{names})\b){_ITEM_TRAIL}"
    )


_ORDINALS: dict[Lang, dict[str, int]] = {
    "en": {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "last": 0},
    "es": {"primera": 1, "primero": 1, "segunda": 2, "segundo": 2, "tercera": 3, "tercero": 3,
           "cuarta": 4, "cuarto": 4, "quinta": 5, "quinto": 5},
    "pt": {"primeira": 1, "primeiro": 1, "segunda": 2, "segundo": 2, "terceira": 3, "terceiro": 3,
           "quarta": 4, "quarto": 4, "quinta": 5, "quinto": 5},
}  # fmt: skip
_ITEMS = {lang: _item_pattern(lang, {k: v for k, v in _ORDINALS[lang].items() if v}) for lang in _ORDINALS}


def number_refs(lang: Lang, text: str) -> tuple[TaskRef, ...] | None:
    """The list positions ``text`` names ("2 and 4", "la uno y la dos", "number three"), in the
    order said; None unless it is nothing but positions (a remark may follow the last one: "number
    three took them back", "a 1 e a 3 tb")."""
    text = text.strip()
    items: list[int] = []
    named = pos = before = 0
    pattern = _ITEMS[lang]
    while True:
        m = pattern.match(text, pos)
        if m is None and items:
            pos = before  # "number two, dropped it off": a remark after the comma
            break
        if m is None:
            return None
        if m.group("n"):
            items.append(int(m.group("n")))
        else:
            value = _CARDINALS[lang].get(m.group("w")) or _ORDINALS[lang][m.group("w")]
            items.append(value)
            named += not m.group("lead").strip()
        pos = before = m.end()
        sep = _SEPARATOR.match(text, pos)
        if sep is None or sep.end() == len(text):
            break
        pos = sep.end()
    rest = text[pos:].strip(" ,")
    if rest and not (_only_filler(lang, rest) or _remark(lang, rest)):
        return None
    # "one done" is rarely the first task; a word alone needs "number", "la", "a" before it.
    if (len(items) == 1 and named) or not all(0 < n <= 200 for n in items):
        return None
    return tuple(TaskRef(number=n) for n in dict.fromkeys(items))


def _only_filler(lang: Lang, text: str) -> bool:
    return bool(re.fullmatch(rf"(?:\s*\b(?:{_FILLER[lang]}|{_WHEN[lang]})\b)+\s*", text))


def _remark(lang: Lang, text: str) -> bool:
    """A clause about how it went: "took them back yesterday", "la llevé ayer"."""
    m = re.match(rf"(?:(?:{_LEAD[lang]})\s+)*(?P<verb>[a-z']+)", text)
    return bool(m and _past(lang, m.group("verb"), text[: m.start("verb")]) is not None)


# ---------------------------------------------------------------- the message window


def _trailing(lang: Lang) -> re.Pattern[str]:
    return re.compile(rf"(?:[\s,]+(?:{_FILLER[lang]}|{_WHEN[lang]}))+$")


_TRAILING = {lang: _trailing(lang) for lang in _FILLER}


# After a comma, how it went: "levei a Dona Mirtes ao médico, ela está bem", "called the vet, she
# says he's fine", "ya lo entregué, quedó perfecto".
_ASIDE: dict[Lang, re.Pattern[str]] = {
    "en": re.compile(r",\s*(?:she|he|they|it|it'?s|its|was|went|but|because|so|now|all)\b"),
    "es": re.compile(r",\s*(?:ella|el|ellos|ellas|fue|salio|quedo|esta|estaba|pero|porque|ahora|todo)\b"),
    "pt": re.compile(
        r",\s*(?:ela|ele|elas|eles|a gente|foi|foram|deu|deram|correu|ficou|ficaram|esta|estao|ta|tao|estava"
        r"|estavam|tava|era|sao|mas|porque|pq|gracas|ufa|agora|so que|tudo)\b"
    ),
}


def window(g: Grammar, msg: Message) -> Message:
    """``msg`` narrowed to its first sentence, without filler and times after it."""
    plain = msg.plain
    cut = _BREAK.search(plain) or _ASIDE[g.lex.lang].search(plain)
    end = cut.start() if cut else len(plain)
    trail = _TRAILING[g.lex.lang].search(plain[:end])
    if trail and trail.start() > 0:
        end = trail.start()
    narrowed = dataclasses.replace(msg, end=msg.start + end)
    narrowed.strip(g.polite_prefix, g.polite_suffix)
    return narrowed


def _complete(refs: tuple[TaskRef, ...]) -> CompleteTask:
    return CompleteTask(refs[0], refs=refs if len(refs) > 1 else ())


def _then(g: Grammar, msg: Message, now: datetime, found: CompleteTask | None) -> CompleteTask | None:
    """``found``, with the new task asked for in the next sentence, if one is ("finished the punch
    list period new task quote the garage by friday"): dictated messages run on."""
    cut = _BREAK.search(msg.plain)
    if found is None or cut is None:
        return found
    rest = dataclasses.replace(msg, start=msg.start + cut.end())
    rest.strip(g.polite_prefix, g.polite_suffix)
    # Only with a command word: "thanks, see you tomorrow" after it is not a task.
    task = parse_tasks.create(g, rest, now) if rest.plain else None
    return dataclasses.replace(found, then=task) if task is not None and task.title else found


def numbers(g: Grammar, msg: Message, now: datetime) -> CompleteTask | None:
    """Several list positions done at once, or one completion with remarks around it."""
    return _then(g, msg, now, _numbers(g, msg, now))


def statement(g: Grammar, msg: Message, now: datetime) -> CompleteTask | None:
    """What the user did: "paid the rent", "ya le mandé la cotización", "já tratei da 2"."""
    return _then(g, msg, now, _statement(g, msg, now))


def checked(g: Grammar, msg: Message, now: datetime) -> CompleteTask | None:
    """ "👍 dentist", "presupuesto Atlas ✔️": the task the words name, marked done."""
    return _then(g, msg, now, _checked(g, msg, now))


def _numbers(g: Grammar, msg: Message, now: datetime) -> CompleteTask | None:
    """A completion pattern whose reference is one or more list positions ("2 and 4 are done"),
    or any completion once the remarks around it are left out."""
    if msg.question:
        return None
    w = window(g, msg)
    plain = w.plain
    if not plain or any(p.fullmatch(plain) for p in g.reopen):
        return None
    for pattern in g.complete:
        m = pattern.fullmatch(plain)
        if m and m.groupdict().get("ref"):
            refs = number_refs(g.lex.lang, m.group("ref"))
            if refs:
                return _complete(refs)
    if (w.start, w.end) != (msg.start, msg.end):
        # "did the dishes lol", "finished the deck period new task ...": one task, once the
        # remarks are left out of its reference.
        found = parse_tasks.changes(g, w, now)
        if isinstance(found, CompleteTask):
            return found
    return None


# ---------------------------------------------------------------- what the user did


def _past(lang: Lang, verb: str, lead: str, *, accented: bool = False) -> tuple[str, ...] | None:
    """The forms of ``verb`` a title may hold if it is a past tense (``()``: none known, or a verb
    that finishes without naming the work); None if it is not one. ``accented``: typed with its
    accent ("llamé"), which only the past has; without it "llame" needs "ya" before it."""
    # Every language's list: another grammar reads a message its own one left unread.
    if any(verb in refused for refused in _NOT_DONE_VERBS.values()):
        return None
    if verb in _DONE_VERBS[lang]:
        return ()
    if verb in _IRREGULAR[lang]:
        return _IRREGULAR[lang][verb]
    lead_words = set(lead.split())
    if lang == "en":
        return _english_past(verb)
    told = accented or bool(lead_words & _TOLD)
    if lang == "es":
        if verb.endswith("ei"):
            return None  # Portuguese ("mandei"), for its own grammar
        if lead_words & _PERFECT["es"] and re.fullmatch(r"[a-z]{2,}(?:ado|ido)", verb):
            return (verb[:-3],)
        if re.fullmatch(r"[a-z]{3,}[ei]", verb) and (told or (len(verb) >= 5 and verb.endswith("i"))):
            return _romance_stem(verb[:-1])
        if told and re.fullmatch(r"[a-z]{3,}(?:amos|imos)", verb):
            return (verb[:-4],)
        return None
    if lead_words & _PERFECT["pt"] and re.fullmatch(r"[a-z]{2,}(?:ado|ido)", verb):
        return (verb[:-3],)
    if re.fullmatch(r"[a-z]{3,}ei", verb):
        return _romance_stem(verb[:-2])
    if re.fullmatch(r"[a-z]{3,}i", verb) and (told or len(verb) >= 5):
        return _romance_stem(verb[:-1])
    if told and re.fullmatch(r"[a-z]{3,}(?:amos|emos|imos)", verb):
        return (verb[:-4],)
    return None


_TOLD = bag("ya ja yo eu fin finalmente enfim hoy hoje ontem ayer")
# A verb followed by its subject is a question: "did I pay the rent".
_SUBJECTS = bag("i you u we they he she")


def _romance_stem(stem: str) -> tuple[str, ...]:
    # Spelling kept before -é/-ei: "pagué" is "pagar", "busqué" is "buscar", "empecé" is "empezar".
    for written, said in (("gu", "g"), ("qu", "c")):
        if stem.endswith(written):
            return (stem[: -len(written)] + said,)
    if stem.endswith("c"):
        return (stem, stem[:-1] + "z")
    return (stem,)


def _english_past(verb: str) -> tuple[str, ...] | None:
    if len(verb) < 4 or not verb.endswith("ed") or verb.endswith("eed"):
        return None
    if verb.endswith("ied"):
        return (verb[:-3] + "y", verb[:-1])
    stem = verb[:-2]
    if len(stem) >= 3 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        return (stem[:-1],)  # "submitted", "dropped"
    return (stem, verb[:-1])  # "called", "baked"


_STATEMENT = {
    lang: re.compile(
        rf"(?P<lead>(?:(?:{_LEAD[lang]}|{'|'.join(_PERFECT[lang]) or '$^'})\s+)*)"
        r"(?P<verb>[a-z']+)(?:\s+(?P<rest>.+))?"
    )
    for lang in _LEAD
}
_LIST_WORDS = bag(
    "task tasks list lists todo todos to-do to-dos items stuff things everything all tarea tareas lista "
    "pendientes todo todas tarefa tarefas tudo todas coisas"
)
_DEADLINE_LINKS = bag("by before until till due hasta antes ate")
_CLITICS = bag("lo la los las")
_TOKEN = re.compile(r"[\w'#.-]*\w")


def _statement(g: Grammar, msg: Message, now: datetime) -> CompleteTask | None:
    if msg.question:
        return None
    lang = g.lex.lang
    w = window(g, msg)
    plain = w.plain
    if not plain or _NEGATION.search(plain):
        return None
    just = _JUST[lang].match(plain)
    # "acabo de salir de la 214, oye el viernes tengo q llevar el coche": a request follows.
    if just and STRONG[lang].search(plain, just.end()):
        return None
    if just:
        # "acabo de llamar al plomero": the infinitive names the work.
        m = re.match(r"(?P<verb>[a-z]+?)(?:ar|er|ir)(?:\s+(?P<rest>.+))?$", plain[just.end() :])
        if m is None or not m.group("rest"):
            return None
        return _about(g, w, just.end() + m.start("rest"), (m.group("verb"),), now)
    m = _STATEMENT[lang].fullmatch(plain)
    if m is None:
        return None
    told_after = _OBJECT_FIRST.get(lang)
    after = told_after.fullmatch(plain) if told_after is not None else None
    if after is not None and _past(lang, after.group("verb"), after.group("lead")):
        # "o TCC eu entreguei ontem", "a conta de luz já paguei": the task first, then the verb.
        forms = _past(lang, after.group("verb"), after.group("lead"))
        return _about(g, dataclasses.replace(w, end=w.start + after.end("rest")), 0, forms or None, now)
    verb = m.group("verb")
    typed = w.text[w.start + m.start("verb") : w.start + m.end("verb")]
    # The politeness stripped from the request may hold the "ya" / "já" that dates the verb.
    lead = w.folded[w.core_start : w.start + m.start("verb")]
    forms = _past(lang, verb, lead, accented=typed[-1:] in ("é", "í"))
    if forms is None:
        return None
    if not m.group("rest"):
        # "ya lo mandé": the clitic is the task last talked about.
        clitic = set(m.group("lead").split()) & _CLITICS
        if clitic:
            return CompleteTask(TaskRef(pronoun=True, verb_forms=forms))
        # "ya llamé", "ya pagué": the open task holding that verb (the engine asks among several).
        told = set(lead.split()) & _TOLD
        return CompleteTask(TaskRef(verb_forms=forms)) if forms and told and lang != "en" else None
    if m.group("rest").split()[0] in _SUBJECTS:
        return None
    refs = number_refs(lang, m.group("rest")) or _numbers_then(g, w, m.start("rest"), now)
    if refs:
        return _complete(refs)
    done_verb = verb in _DONE_VERBS[lang]
    return _about(g, w, m.start("rest"), None if done_verb else forms, now)


def _both(
    g: Grammar, w: Message, lo: int, folded: str, forms: tuple[str, ...] | None, now: datetime
) -> CompleteTask | None:
    lang = g.lex.lang
    if lang != "en":
        return None  # Spanish and Portuguese keep asking nothing: neither is guessed at
    second = next(
        (
            m
            for m in _TWO_DONE_VERB[lang].finditer(folded)
            if m.group("verb") in _DONE_VERBS[lang] or _past(lang, m.group("verb"), "") not in (None, ())
        ),
        None,
    )
    if second is None or forms is None:
        return None
    verb = second.group("verb")
    later = None if verb in _DONE_VERBS[lang] else _past(lang, verb, "")
    first = _about(g, w, lo, forms, now, lo + second.start())
    rest = lo + second.end("verb")
    then = _about(g, w, rest, later, now) if rest < len(w.plain) else None
    if first is None or then is None or first.ref.query is None or then.ref.query is None:
        return None
    return CompleteTask(first.ref, refs=(first.ref, *(then.refs or (then.ref,))))


_AND_THEN: dict[Lang, re.Pattern[str]] = {
    "en": re.compile(r"\b(?:and|&)\b"),
    "es": re.compile(r"\b(?:y|e)\b"),
    "pt": re.compile(r"\b(?:e)\b"),
}
# The task named first, then who did it: "o TCC eu entreguei", "a luz já paguei".
_OBJECT_FIRST: dict[Lang, re.Pattern[str]] = {
    "pt": re.compile(r"(?P<rest>(?:o|a|os|as)\s+.+?)\s+(?P<lead>(?:(?:eu|ja)\s+)+)(?P<verb>[a-z]{3,})"),
}
_WHEN_ANYWHERE = {lang: re.compile(rf"\b(?:{_WHEN[lang]})\b") for lang in _WHEN}
_AND: dict[Lang, str] = {"en": "and|then|also", "es": "y|luego|tambien", "pt": "e|depois|tambem"}


def _two_done(lang: Lang) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{_AND[lang]})\s+(?:(?:{_LEAD[lang]})\s+)*(?P<verb>[a-z']+)")


_TWO_DONE_VERB = {lang: _two_done(lang) for lang in _AND}


def _two_statements(lang: Lang, text: str) -> bool:
    """A second past-tense verb after "and": "... and took out the trash"."""
    for m in _TWO_DONE_VERB[lang].finditer(text):
        verb = m.group("verb")
        if verb in _DONE_VERBS[lang] or _past(lang, verb, "") not in (None, ()):
            return True
    return False


def _numbers_then(g: Grammar, w: Message, lo: int, now: datetime) -> tuple[TaskRef, ...] | None:
    """Positions followed by when it was done: "number 4 this morning" ("a 1" alone would be read
    as one o'clock, so the positions are tried first, without this)."""
    original = w.text[w.start + lo : w.end]
    due = due_in(original, now, g.lex.lang)
    if due is None or due.at > now or due.start == 0:
        return None
    return number_refs(g.lex.lang, w.plain[lo : lo + due.start])


# What the user did, then what the assistant may do about it: "I have rung Joan, so you may tick
# that off", "... and you can cross it off my list".
_HANDED_OVER: dict[Lang, re.Pattern[str]] = {
    "en": re.compile(r"(?:,\s*|\s+)(?:so|and|now)\s+(?:you|u|ya)\s+(?:can|may|could|might|should)\b.*$"),
}


def _about(
    g: Grammar, w: Message, lo: int, forms: tuple[str, ...] | None, now: datetime, hi: int | None = None
) -> CompleteTask | None:
    """The completion of the task named by ``w.plain[lo:hi]`` (a pronoun or title words)."""
    lang = g.lex.lang
    hi = len(w.plain) if hi is None else hi
    folded, original = w.plain[lo:hi], w.text[w.start + lo : w.start + hi]
    handed = _HANDED_OVER.get(lang)
    cut = handed.search(folded) if handed is not None else None
    if cut is not None and cut.start() > 0:
        folded, original = folded[: cut.start()], original[: cut.start()]
    # "mandé el presupuesto a Olivo, uno menos": what follows a comma is a remark, unless it goes
    # on naming things ("pagué la luz, el agua y el gas": several tasks, refused below).
    comma = folded.find(",")
    if comma > 0 and not _AND_THEN[lang].search(folded, comma):
        folded, original = folded[:comma], original[:comma]
    if g.lex.pronoun.fullmatch(folded.strip()):
        return CompleteTask(TaskRef(pronoun=True, verb_forms=forms))
    if _two_statements(lang, folded):
        # "fitted the new door and collected the skirting boards": two tasks, each named by its
        # own words and verb; both or neither are completed.
        return _both(g, w, lo, folded, forms, now)
    for when in _WHEN_ANYWHERE[lang].finditer(folded):
        folded, original = blank(folded, *when.span()), blank(original, *when.span())
    due = due_in(original, now, lang)
    if due is not None:
        # "fixed price quote by friday" is a deadline: a task to create, not a statement.
        if due.at > now and fold(due.phrase).split()[0] in _DEADLINE_LINKS:
            return None
        # "booked the flights for friday": the trip is friday, the booking is done.
        folded, original = blank(folded, due.start, due.end), blank(original, due.start, due.end)
    kept = [
        original[t.start() : t.end()]
        for t in _TOKEN.finditer(folded)
        if t.group() not in _STOP[lang] and t.group() not in g.lex.self_words
    ]
    if not kept or len(kept) > 7 or kept[0].casefold() in g.lex.question_words:
        return None
    if {fold(word) for word in kept} & _LIST_WORDS:
        # "completed tasks", "everything": a list, or more than one task.
        return None
    return CompleteTask(TaskRef(query=" ".join(kept), verb_forms=forms))


# ---------------------------------------------------------------- check marks

# A completion mark; "👍" and "👌" alone are thanks (parse_smalltalk), with words they mark them done.
_CHECKS = "✅✔☑✓"
_MARKS = _CHECKS + "👍👌"


def _marked(msg: Message, marks: str, lang: Lang | None = None) -> bool:
    edges = msg.text[: msg.core_start] + msg.text[msg.core_end :]
    if any(ch in edges for ch in marks):
        return True
    # "logo da vinícola ✅ finalmente kkkk": the mark, then only how it feels.
    at = max(msg.text.rfind(ch, msg.core_start, msg.core_end) for ch in marks)
    return lang is not None and at > msg.core_start and _only_filler(lang, msg.folded[at + 1 : msg.core_end])


def checked_numbers(lang: Lang, msg: Message) -> CompleteTask | None:
    """ "✅ 3", "2 ✔️ 4 ✔️": list positions with a check mark (before "3" alone reads as a choice)."""
    if not _marked(msg, _CHECKS):
        return None
    # Any language's articles: "✅ la 2" is as clear to an English reader.
    for tongue in (lang, *(other for other in _ITEMS if other != lang)):
        refs = number_refs(tongue, msg.core)
        if refs:
            return _complete(refs)
    return None


def _checked(g: Grammar, msg: Message, now: datetime) -> CompleteTask | None:
    if msg.question or not _marked(msg, _MARKS, g.lex.lang):
        return None
    w = window(g, msg)
    plain = w.plain
    if not plain or _NEGATION.search(plain):
        return None
    refs = number_refs(g.lex.lang, plain)
    if refs:
        return _complete(refs)
    first = plain.split()[0]
    if first in g.implicit_block or first in g.lex.question_words:
        return None
    return _about(g, w, 0, None, now)
