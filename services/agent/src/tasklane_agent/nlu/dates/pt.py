"""Portuguese date patterns for ``romance`` (over folded text: lower case, no accents).

Covers hoje/amanhã/depois de amanhã, hoje à noite, de manhã, weekdays ("na sexta",
"sexta-feira", "próxima segunda", "segunda que vem"), "em 2 semanas", "daqui a 3 dias", "fim do
mês", "final da semana", "dia 5", "até dia 20", "20 de dezembro", 15/12, and times ("às 15h",
"às 10h30", "às 8 da noite", "ao meio-dia"). Brazilian and European spellings fold to the same
words.
"""

from __future__ import annotations

from datetime import time

from tasklane_agent.nlu.dates.romance import Grammar
from tasklane_agent.nlu.dates.words import MONTHS, NUMBERS, alternation

# Chat shortens weekdays as calendars do ("sex", "seg", "sáb"); "ter" (to have) and "qua" only after
# a word that leads to a day ("na ter", "até qua").
_WD = (
    r"(?:(?:segunda|terca|quarta|quinta|sexta)(?:-feira|\s+feira)?|sabado|domingo|seg|sex|sab|qui|dom"
    r"|(?:(?<=na\s)|(?<=ate\s)|(?<=essa\s)|(?<=nessa\s)|(?<=proxima\s))"
    r"(?:ter|qua))"
)
_MONTH = alternation(MONTHS["pt"])
_NUM = r"(?:\d{1,3}|" + alternation(NUMBERS["pt"]) + ")"
_HOURS = alternation(["uma", "duas", "tres", "quatro", "cinco", "seis", "sete", "oito", "nove", "dez",
                      "onze", "doze"])  # fmt: skip

# Words that may follow a bare hour or day number ("a las 5 el viernes", not "a las 5 personas").
_FOLLOW_OK = frozenset({
    "a", "as", "ao", "do", "no", "na", "nesta", "neste", "esta", "este", "hoje", "amanha",
    "depois", "proxima", "proximo", "que", "e", "ou", "ate", "para", "pra", "em", "toda", "todo",
    "todas", "todos", "cada", "horas", "hs", "dia", "sem", "ponto",
})  # fmt: skip

GRAMMAR = Grammar(
    lang="pt",
    today=r"\bhoje(?:\s+mesmo)?\b",
    tomorrow=r"\bamanha\b",
    after_tomorrow=r"\bdepois\s+de\s+amanha\b",
    yesterday=r"\bontem\b",
    before_yesterday=r"\b(?:anteontem|antes\s+de\s+ontem)\b",
    last_week=r"\b(?:na\s+|a\s+)?semana\s+passada\b",
    # "logo à noite", "logo mais à tarde" (later today, said in Portugal and Brazil alike).
    today_part=r"\b(?:esta|nesta|essa|nessa|logo(?:\s+mais)?\s+(?:a|de|pela|la\s+pela))\s+(?P<part>manha|tarde|noite)\b",
    weekday=(
        r"\b(?:(?P<this>esta|este|nesta|neste|essa|esse|nessa|nesse)\s+"
        r"|(?:(?:na|no|a|o)\s+)?(?P<next>proxima|proximo)\s+|(?:na|no|a|o|em)\s+)?"
        rf"(?P<wd>{_WD})(?:\s+(?P<next2>que\s+vem|proxima|proximo)|\s+(?P<last>passad[ao]))?"
        r"(?:\s+(?P<nextweek>da\s+(?:proxima\s+semana|semana\s+que\s+vem)))?\b"
        # "el lunes 30", "sexta 27": the day number decides.
        r"(?:,?\s+(?P<dn>3[01]|[12]\d|0?[1-9])\b(?![:/.,]?\d|\s*%|\s+de\s))?"
    ),
    weekend=(
        r"\b(?:(?:este|neste|esse|nesse|no|o|(?:no\s+|o\s+)?(?P<next>proximo))\s+)?fim\s+de\s+semana"
        r"(?:\s+(?P<next2>que\s+vem))?\b"
    ),
    end_of=(
        r"\b(?:(?:no|ao)\s+)?(?:fim|final)\s+(?:"
        r"(?:do|de|deste)\s+(?:(?P<next>proximo)\s+)?(?P<unit>mes|ano|dia)(?:\s+(?P<next2>que\s+vem))?"
        r"|(?:da|desta)\s+(?:(?P<nextw>proxima)\s+)?(?P<unitw>semana)(?:\s+(?P<nextw2>que\s+vem))?)\b"
    ),
    next_period=(
        r"\b(?:(?:na|a|no|o)\s+)?(?:(?:proxima|proximo)\s+(?P<unit>semana|mes|ano)"
        r"|(?P<unit2>semana|mes|ano)\s+(?:que\s+vem|proxima|proximo)"
        # Portugal's "para a semana": next week.
        r"|(?<=\bpara\sa\s)(?P<unit3>semana)(?!\s+(?:de|do|da|que|passada)\b))\b"
    ),
    relative=(
        rf"\b(?:em|dentro\s+de|daqui(?:\s+a)?)\s+(?:(?P<n>{_NUM}|(?:um\s+)?par\s+de|uns|umas)\s+"
        r"(?P<unit>minutos?|horas?|dias?|semanas?|mes|meses|anos?)|(?P<half>meia)\s+hora)\b"
    ),
    day_number=(
        r"\b(?:(?:no|o|ao|do)\s+)?(?P<dia>dia)\s+(?P<d>3[01]|[12]\d|0?[1-9]|primeiro)(?:\b|(?<=1)[º°o])"
        r"(?![:/.,]?\d|\s*%|\s+de\s)"
    ),
    day_month=(
        r"\b(?:(?:no|o|ao|do)\s+)?(?:dia\s+)?(?P<d>3[01]|[12]\d|0?[1-9]|primeiro)(?:º|°)?"
        rf"\s+(?:de\s+)?(?P<mon>{_MONTH})\b\.?(?:\s+de\s+(?P<y>\d{{4}})|\s+(?P<y2>\d{{4}}))?"
    ),
    clock=(
        r"(?:\b(?P<lead>as|a|pelas|ate\s+as|depois\s+das|antes\s+das|por\s+volta\s+das|la\s+pelas|perto\s+das)\s+)?"
        rf"\b(?P<h>2[0-3]|[01]?\d|{_HOURS})(?!\d)(?:(?P<sep>:|h(?!r?s\b))(?P<m>[0-5]\d)?)?(?:\s*(?P<hs>horas?|hs|hrs)\b)?"
        r"(?:\s*(?P<ampm>[ap])\.?\s?m\b\.?)?(?:\s+e\s+(?P<frac>meia|quinze))?"
        r"(?:\s+(?:da|de)\s+(?P<part>manha|tarde|noite|madrugada))?"
    ),
    time_range=(
        rf"\b(?:das|de|desde\s+as|entre\s+as|entre)\s+(?P<h>2[0-3]|[01]?\d|{_HOURS})(?!\d)"
        r"(?:(?P<sep>:|h(?!r?s\b))(?P<m>[0-5]\d)?)?(?:\s*(?:horas?|hs|hrs)\b)?\s+(?:as|a|ate\s+as|ate|e\s+as|e)\s+"
        rf"(?P<h2>2[0-3]|[01]?\d|{_HOURS})(?!\d)(?:(?P<sep2>:|h(?!r?s\b))(?:[0-5]\d)?)?(?:\s*(?:horas?|hs|hrs)\b)?"
        r"(?:\s+(?:da|de)\s+(?P<part>manha|tarde|noite|madrugada))?"
    ),
    named_clock=(
        r"\b(?:(?:ao|a|as|por\s+volta\s+do|perto\s+do|ate\s+o|antes\s+do)\s+)?"
        r"(?P<named>meio-?\s?dia|meia-?\s?noite|hora\s+d[oe]\s+almoco)\b"
    ),
    # "cedo", "logo cedo", "de manhã cedo": the morning.
    daypart=(
        r"\b(?:(?:de|pela|a|na|durante\s+a|ao|no|pelo)\s+(?P<part>manha|tarde|noite|madrugada|tardinha|noitinha"
        r"|(?:fim|final)\s+da\s+tarde)"
        r"(?:\s+cedo)?|(?:bem\s+|logo\s+)?ced(?:o|inho)(?:\s+de\s+manha)?|(?:logo\s+)?pela\s+manha\s+cedo)\b"
    ),
    filler=(
        r"(?:\b(?:(?:ate|para|pra)(?:\s+(?:o|a))?|antes\s+d[eoa]|no\s+maximo|o\s+mais\s+tardar|vence"
        r"|com\s+prazo(?:\s+(?:para|ate))?|prazo|em|no|na)\s+)+$"
    ),
    follow_ok=_FOLLOW_OK,
    name_preps=frozenset(["a", "com", "de", "do", "da", "e", "para", "pra"]),
    ordinal_nouns=(
        r"\s*(?:vias?|vez|vezes|versao|versoes|parte|partes|pagina|edicao|etapa|fase|opcao|linha|coluna|"
        r"serie|colocad[oa]s?|lugar|reuniao|tarefa|aula|semana|mes|ano)\b"
    ),
    named_times={
        "meiodia": time(12),
        "meianoite": time(0),
        "horadoalmoco": time(12),
        "horadealmoco": time(12),
    },
)
