"""Matching what people type against names: "website relaunch" finds "Website Relaunch",
"joao" finds "João"."""

from __future__ import annotations

import re
import unicodedata


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
