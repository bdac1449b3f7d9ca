"""Which task a loose reference clearly names (``domain.names.clearly_meant``): the statistical
layer under the grammar, used only when the words match no title exactly."""

from __future__ import annotations

import pytest

from tasklane_agent.domain.names import clearly_meant, coverage


@pytest.mark.parametrize(
    ("said", "titles", "meant"),
    [
        # The rest of a long message costs nothing; endings and accents aside.
        (
            "got the vaccination card from the vet at last, phew",
            ["pick up the vaccination card", "buy dog food"],
            0,
        ),
        (
            "ya recogí los lentes en la óptica, quedaron perfectos",
            ["recoger lentes en la optica", "pagar la luz"],
            0,
        ),
        (
            "já entreguei as chaves do apartamento pro corretor",
            ["entregar chaves do apartamento", "ligar pro corretor"],
            0,
        ),
        # A long word of one title and nothing of any other.
        ("mark the spreadsheet one done", ["send the budget spreadsheet to Li", "call the plumber"], 0),
        # A typo in a long word.
        ("done with the presentaton", ["finish the presentation slides", "water the plants"], 0),
        # The same words name two titles: no guess.
        ("mark the dentist as done", ["pay the dentist bill", "book a dentist checkup for Harold"], None),
        ("ya llamé", ["llamar a mamá", "llamar al banco"], None),
        # Too little of the title named.
        ("sorted the car", ["take the car for its yearly service and the tyre change", "buy stamps"], None),
        # Nothing named.
        ("went for a run", ["pay the rent", "call grandma"], None),
    ],
)
def test_a_loose_reference_names_one_task_only_when_it_clearly_does(
    said: str, titles: list[str], meant: int | None
) -> None:
    assert clearly_meant(said, titles) == meant


def test_only_the_title_s_words_count() -> None:
    share, weight, hits = coverage(
        "I have finally paid the gas bill, what a relief honestly", "pay the gas bill"
    )
    assert (share, weight) == (0.75, 3)
    assert hits == {"gas", "bill"}
