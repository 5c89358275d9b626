"""One salutation for every letter and screen; titles as the customer chose them, never guessed."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.models import Customer
from crm.names import KnownTitle, clean_text, normalise_title, salutation

names = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=300)
KNOWN = set(KnownTitle.values)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"full_name": "Margaret Thomas", "title": "Mrs", "formal_name": "Thomas", "preferred_name": "Peggy"},
            "Dear Mrs Thomas",
        ),
        ({"full_name": "William Thomas", "preferred_name": "Bill"}, "Dear Bill"),
        ({"full_name": "Ludwig van Beethoven"}, "Dear Ludwig van Beethoven"),
        ({"full_name": "محمد عبد الله"}, "Dear محمد عبد الله"),
        ({"full_name": "Jan van der Berg", "title": "Mr", "formal_name": ""}, "Dear Jan van der Berg"),
    ],
)
def test_salutation_rules(fields, expected):
    assert salutation(Customer(**fields)) == expected


@settings(max_examples=1000, deadline=None)
@given(full_name=names, preferred=names, title=names, formal=names)
def test_salutation_never_raises_never_breaks_lines_and_is_deterministic(full_name, preferred, title, formal):
    customer = Customer(full_name=full_name, preferred_name=preferred, title=title, formal_name=formal)
    first = salutation(customer)
    assert first == salutation(customer)
    assert first.startswith("Dear ")
    assert not any(mark in first for mark in ("\r", "\n", "\u2028", "\u2029", "\x85"))


@settings(max_examples=1000, deadline=None)
@given(full_name=names)
def test_salutation_never_invents_a_title_and_keeps_the_name_as_stored(full_name):
    text = salutation(Customer(full_name=full_name))
    stored = clean_text(full_name)
    if stored:
        assert text == f"Dear {stored}"
    added_words = set(text.split()) - set(stored.split()) - {"Dear", "customer"}
    assert not added_words & KNOWN


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("mrs.", "Mrs"),
        ("DR", "Dr"),
        (" Prof. ", "Prof"),
        ("", ""),
        ("Lady", "Lady"),
        ("Sr.", "Sr."),
        ("Hon. Mrs", "Hon. Mrs"),
        ("Señora", "Señora"),
        ("Д-р", "Д-р"),
    ],
)
def test_titles_known_are_normalised_and_own_titles_kept(raw, expected):
    assert normalise_title(raw) == expected


@pytest.mark.parametrize("raw", ["Mr1", "<b>Mr</b>", "x" * 41, "Dr; DROP TABLE", "@@"])
def test_titles_that_cannot_be_titles_are_refused_with_a_reason(raw):
    with pytest.raises(ValueError, match="title"):
        normalise_title(raw)
