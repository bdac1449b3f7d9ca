"""The texts users read: dates in their timezone and language, and WhatsApp's interactive limits."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tasklane_agent.engines.base import Button, Outgoing, Row
from tasklane_agent.i18n import CATALOGUES, format_due, t
from tasklane_agent.outgoing import as_message

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_dates_render_in_the_users_timezone() -> None:
    # 00:00 in Sao Paulo of Fri 27 Nov is 03:00 UTC: still Friday for the user.
    midnight_local = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    assert format_due(midnight_local, False, SAO_PAULO, NOW) == "Fri 27 Nov"
    three_pm = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)
    assert format_due(three_pm, True, SAO_PAULO, NOW) == "Thu 26 Nov, 15:00"
    next_year = datetime(2027, 3, 3, 9, 30, tzinfo=UTC)
    assert format_due(next_year, True, ZoneInfo("UTC"), NOW) == "Wed 3 Mar 2027, 09:30"


@pytest.mark.parametrize(
    ("lang", "expected"), [("en", "Fri 27 Nov"), ("es", "vie 27 nov"), ("pt", "sex 27 nov")]
)
def test_dates_render_in_the_users_language(lang: str, expected: str) -> None:
    assert format_due(datetime(2026, 11, 27, tzinfo=UTC), False, ZoneInfo("UTC"), NOW, lang) == expected


def test_every_message_exists_in_all_three_languages_with_the_same_placeholders() -> None:
    english = CATALOGUES["en"]
    for lang in ("es", "pt"):
        catalogue = CATALOGUES[lang]
        assert set(catalogue) == set(english), lang
        for key, text in english.items():
            fields = {p.split("}")[0] for p in text.split("{")[1:]}
            assert {p.split("}")[0] for p in catalogue[key].split("{")[1:]} == fields, (lang, key)


def test_a_missing_language_falls_back_to_english() -> None:
    assert t("fr", "yes") == "Yes"


def test_buttons_keep_whatsapps_limits_and_unique_titles() -> None:
    kind, content = as_message(
        Outgoing(
            "x" * 2000,
            buttons=(
                Button("a", "Prepare the quarterly slides for the board"),
                Button("b", "Prepare the quarterly slides for the board"),
            ),
        )
    )
    assert kind == "interactive"
    assert content["type"] == "button"
    assert len(content["body"]["text"]) == 1024
    titles = [b["reply"]["title"] for b in content["action"]["buttons"]]
    assert all(len(x) <= 20 for x in titles)
    assert len(set(titles)) == 2


def test_a_list_keeps_row_limits() -> None:
    rows = tuple(
        Row(f"pick:{n}", f"task number {n} with a long title", "due Fri 27 Nov" * 10) for n in range(12)
    )
    kind, content = as_message(Outgoing("Which one?", rows=rows, list_button="Choose a task please"))
    assert kind == "interactive"
    assert content["type"] == "list"
    sent = content["action"]["sections"][0]["rows"]
    assert len(sent) == 10
    assert all(len(r["title"]) <= 24 and len(r["description"]) <= 72 for r in sent)
    assert len(content["action"]["button"]) <= 20


def test_plain_text_is_cut_at_4096() -> None:
    kind, content = as_message(Outgoing("y" * 5000))
    assert kind == "text"
    assert len(content["body"]) == 4096
