import pytest

from generator._names import suggest, validate_project_name
from generator.errors import InvalidNameError


@pytest.mark.parametrize("name", ["loan-scoring", "a", "fraud2-check", "x" * 64])
def test_valid_names_pass(name: str) -> None:
    assert validate_project_name(name) == name


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("Loan Scoring!", "lowercase letters"),
        ("123", "starting with a letter"),
        ("class", "Python keyword"),
        ("", "empty"),
        ("   ", "empty"),
        ("a" * 200, "200 characters"),
        ("json", "standard library"),
        ("loan--scoring", "single hyphens"),
        ("loan_scoring", "lowercase letters"),
        ("-loan", "starting with a letter"),
    ],
)
def test_invalid_names_name_the_problem(name: str, fragment: str) -> None:
    with pytest.raises(InvalidNameError) as info:
        validate_project_name(name)
    assert fragment in info.value.message
    assert info.value.hint
    assert info.value.exit_code == 2


def test_suggestion_for_a_display_name() -> None:
    assert suggest("Loan Scoring!") == "loan-scoring"
    with pytest.raises(InvalidNameError) as info:
        validate_project_name("Loan Scoring!")
    assert "'loan-scoring'" in info.value.hint


def test_no_suggestion_when_nothing_valid_is_close() -> None:
    assert suggest("123") == ""
    assert suggest("class") == ""
