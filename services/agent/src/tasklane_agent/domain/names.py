"""Matching what people type against names: "website relaunch" finds "Website Relaunch",
"joao" finds "João"."""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz


def name_key(name: str) -> str:
    """Lower case, no accents, single spaces, no punctuation at the edges."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", plain)).strip()


# Words that join a name's words in the three languages: "Vacaciones en la Costa" is found by
# "vacaciones", "reforma da granja viana" finds "Reforma Casa Granja Viana".
_JOINERS = frozenset(
    re.findall(
        r"\S+",
        "the a an of and for in on at to my our el la los las un una de del y en al mi "
        "o os as um uma da do das dos e em no na nos nas ao pro pra meu minha",
    )
)
# Words people put before a project's name that are rarely part of it ("the kitchen project",
# "la obra de Olivos", "a obra do Solar"): they may be left unmatched.
_GENERIC = frozenset(
    re.findall(r"\S+", "project proyecto projeto proj obra job site board team equipo equipe")
)


def _close(word: str, name_word: str) -> bool:
    """One typed word against one word of a name: equal, a start of it (4+ letters: "onboard"),
    or one letter off (5+ letters: "dissertaton", "migracao"/"migracoes" aside)."""
    if word == name_word:
        return True
    if len(word) >= 4 and name_word.startswith(word):
        return True
    if min(len(word), len(name_word)) < 5 or abs(len(word) - len(name_word)) > 1:
        return False
    return _one_edit(word, name_word)


def _one_edit(a: str, b: str) -> bool:
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


def _content(key: str) -> list[str]:
    return [w for w in key.split() if w not in _JOINERS]


# Words of a reference to a task that its title need not hold ("lo del seguro", "the visa task").
_REFERRING = frozenset(re.findall(r"\S+", "lo task tarea tarefa one thing"))


def content_words(text: str) -> str:
    """``text`` without its joining words ("the walkthrough at the chen house" -> "walkthrough chen
    house"): what a title has to hold for the text to name it."""
    key = name_key(text)
    return " ".join([w for w in _content(key) if w not in _REFERRING] or key.split())


def match_names(query: str, names: list[str]) -> list[int]:
    """Which of ``names`` the user means by ``query`` (indices, best first), case, accents and
    small typos aside: every word typed must be close to a word of the name ("q3 launch" for
    "Q3 Product Launch"), except generic ones ("obra", "project"). A name equal to the query
    wins alone; otherwise every close one, those leaving fewest of their own words unmatched
    first (a change to several asks which one)."""
    key = name_key(query)
    if not key:
        return []
    keys = [name_key(n) for n in names]
    exact = [i for i, k in enumerate(keys) if k == key]
    if exact:
        return exact
    typed = _content(key)
    wanted = [w for w in typed if w not in _GENERIC] or typed
    if not wanted:
        return []
    scored: list[tuple[int, int]] = []
    for i, k in enumerate(keys):
        own = _content(k)
        if all(any(_close(w, o) for o in own) for w in wanted):
            unmatched = sum(1 for o in own if not any(_close(w, o) for w in wanted))
            scored.append((unmatched, i))
    scored.sort()
    return [i for _, i in scored]


# How much a title's word says about which task it is: short words little, joining words nothing.
def _weight(word: str) -> int:
    return 0 if word in _JOINERS else min(max(len(word) - 2, 0), 7)


def _alike(word: str, title_word: str) -> bool:
    """A typed word and a title's word that are the same word, give or take its ending or a typo:
    "medicinas"/"medicina", "llamé"/"llamar" (a shared start of 4+ letters), "estadistica"/
    "estatistica" (80% alike, 5+ letters each)."""
    if word == title_word:
        return True
    shared = 0
    for a, b in zip(word, title_word, strict=False):
        if a != b:
            break
        shared += 1
    if shared >= 4:
        return True
    return min(len(word), len(title_word)) >= 5 and fuzz.ratio(word, title_word) >= 80


def coverage(text: str, title: str) -> tuple[float, int, frozenset[str]]:
    """How much of ``title`` the words of ``text`` name: the share of its weight (0..1), the
    weight named, and which of the words typed named something. It looks at the title's words
    only, so the rest of a message ("ya fui por las medicinas a la farmacia, gracias a Dios había
    de todo") costs nothing."""
    said = set(name_key(text).split())
    words = name_key(title).split()
    total = sum(_weight(w) for w in words)
    if not total:
        return 0.0, 0, frozenset()
    named = [w for w in words if _weight(w) and any(_alike(s, w) for s in said)]
    hits = frozenset(s for s in said if any(_alike(s, w) for w in named))
    return sum(_weight(w) for w in named) / total, sum(_weight(w) for w in named), hits


# A title counts as the one meant when the words name most of it, and at least twice as much of it
# as of any other title; or all of it while no other is named whole ("já entreguei as chaves do
# apartamento pro corretor" and *entregar chaves do apartamento*, not *ligar pro corretor*); or
# when they name a long word of it and nothing of any other ("marca a de estatística como feita").
# Either way some word typed must name it and not the others: "the dentist" names *pay the dentist
# bill* and *book a dentist checkup* alike, whatever else they hold. Below that, completing or
# changing a task asks "which one?" instead.
CLEAR_SHARE = 0.6
CLEAR_WEIGHT = 3
CLEAR_MARGIN = 2.0
ALONE_WEIGHT = 5


def clearly_meant(text: str, titles: list[str]) -> int | None:
    """The index of the one title ``text`` clearly names (see ``coverage``), or None."""
    scored = sorted(
        ((coverage(text, title), i) for i, title in enumerate(titles)), key=lambda s: s[0][:2], reverse=True
    )
    if not scored:
        return None
    (best, weight, hits), index = scored[0]
    others = [other for other, _ in scored[1:] if other[2]]
    if any(hits <= other_hits for _, _, other_hits in others):
        return None
    runner_up = others[0][0] if others else 0.0
    if best >= CLEAR_SHARE and weight >= CLEAR_WEIGHT and best >= CLEAR_MARGIN * runner_up:
        return index
    if best == 1.0 and weight >= ALONE_WEIGHT and runner_up < 1.0:
        return index
    if weight >= ALONE_WEIGHT and runner_up == 0:
        return index
    return None
