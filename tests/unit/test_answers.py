from pathlib import Path

import pytest

from generator._answers import load_questions, parse_data_options, read_answers_file, validate_answers
from generator.errors import AnswerValidationError
from tests.conftest import SERVICE_TEMPLATE


@pytest.fixture(scope="module")
def questions():  # type: ignore[no-untyped-def]
    return load_questions(SERVICE_TEMPLATE)


def test_questions_come_from_copier_yml(questions) -> None:  # type: ignore[no-untyped-def]
    assert {"project_name", "port", "python_version", "license"} <= set(questions)
    assert questions["port"].type == "int"
    assert questions["python_version"].choices == ("3.11", "3.12", "3.13")
    assert not questions["package_name"].settable  # derived: `when: false`


def test_data_options_parse_and_later_wins() -> None:
    assert parse_data_options(["port=1", "owner=a=b", "port=2"]) == {"port": "2", "owner": "a=b"}


@pytest.mark.parametrize("item", ["port", "=3", ""])
def test_malformed_data_option(item: str) -> None:
    with pytest.raises(AnswerValidationError, match="key=value"):
        parse_data_options([item])


def test_types_are_converted(questions) -> None:  # type: ignore[no-untyped-def]
    answers = validate_answers({"port": "8080", "python_version": "3.12"}, questions)
    assert answers == {"port": 8080, "python_version": "3.12"}


@pytest.mark.parametrize(
    ("answers", "fragment"),
    [
        ({"prot": "8080"}, "Did you mean 'port'"),
        ({"package_name": "x"}, "unknown question"),
        ({"port": "eighty"}, "not a whole number"),
        ({"port": True}, "not a whole number"),
        ({"port": 80.5}, "not a whole number"),
        ({"python_version": "2.7"}, "not one of the choices"),
        ({"owner": ["a"]}, "must be text"),
        ({"regimes": "dpdp,gdpr"}, "gdpr not among the choices"),
        ({"regimes": "[dpdp"}, "is not a list of choices"),
        ({"regimes": 3}, "is not a list of choices"),
    ],
)
def test_bad_answers_are_refused(questions, answers, fragment) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AnswerValidationError) as info:
        validate_answers(answers, questions)
    assert fragment in (info.value.message + " " + info.value.hint)


@pytest.mark.parametrize(
    "raw", ["dpdp,cert-in", " dpdp,cert-in,dpdp", "[dpdp, cert-in]", ["dpdp", "cert-in"]]
)
def test_multiple_choice_answers_are_lists(questions, raw) -> None:  # type: ignore[no-untyped-def]
    assert questions["regimes"].multiselect
    assert validate_answers({"regimes": raw}, questions) == {"regimes": ["dpdp", "cert-in"]}


def test_answers_file_drops_private_keys(tmp_path: Path) -> None:
    path = tmp_path / "a.yml"
    path.write_text("_src_path: /x\n_commit: v1\nport: 9000\n", encoding="utf-8")
    assert read_answers_file(path) == {"port": 9000}


@pytest.mark.parametrize(
    ("content", "fragment"),
    [("port: [1, 2\n", "not valid YAML"), ("- a\n- b\n", "not a mapping")],
)
def test_unreadable_answers_file(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "a.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(AnswerValidationError, match=fragment):
        read_answers_file(path)


def test_missing_answers_file(tmp_path: Path) -> None:
    with pytest.raises(AnswerValidationError, match="cannot read answers file"):
        read_answers_file(tmp_path / "nope.yml")
