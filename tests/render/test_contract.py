"""The rendered use-case contract (``usecase.toml``): it validates, its generated request model is
current, and a broken contract is refused in one line naming the file, the line and the key.

The contract's loader needs only pydantic and the standard library, so these run with the factory's own
dependencies: the rendered ``contract`` package is imported without its ``__init__`` (which loads the
generated request model and the service's dependencies).
"""

from __future__ import annotations

import importlib
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator import NewRequest, new_project


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return new_project(NewRequest(name="loan-scoring", output_dir=tmp_path_factory.mktemp("contract"))).path


@pytest.fixture(scope="module")
def contract(project: Path) -> Iterator[Any]:
    """The rendered ``contract`` package's ``_load`` and ``_codegen`` modules, as a namespace."""
    name = "_rendered_contract"
    package = types.ModuleType(name)
    package.__path__ = [str(next(project.glob("src/*/contract")))]
    sys.modules[name] = package
    try:
        yield types.SimpleNamespace(
            load=importlib.import_module(f"{name}._load"), codegen=importlib.import_module(f"{name}._codegen")
        )
    finally:
        for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
            del sys.modules[module]


def test_the_rendered_contract_validates_and_describes_todays_service(project: Path, contract: Any) -> None:
    loaded = contract.load.load_contract(project / "usecase.toml")
    assert loaded.use_case.kind == "credit-scoring"
    assert loaded.thresholds == (0.15, 0.45)
    assert loaded.decision_names == ("approve", "refer", "decline")
    assert loaded.outcome.review_flags == ("politically_exposed",)
    assert loaded.protected_attributes == ("gender",)
    assert {"applicant_id", "full_name", "phone", "politically_exposed"} <= loaded.personal_fields


def test_the_committed_generated_model_is_what_the_contract_generates(project: Path, contract: Any) -> None:
    text = (project / "usecase.toml").read_text(encoding="utf-8")
    generated = next(project.glob("src/*/contract/_generated.py")).read_text(encoding="utf-8")
    assert contract.codegen.render(contract.load.parse_contract(text), text) == generated


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "maximum = 600\n",
            "maximum = 600\nmaxium = 700\n",
            r"usecase\.toml:(\d+): inputs\.credit_history_months\.maxium: Extra inputs",
        ),
        (
            "below = 0.15",
            'below = "low"',
            r"usecase\.toml:(\d+): outcome\.decisions\.approve\.below: Input should be a valid number",
        ),
        ("api_version = 1", "api_version = 1\napi_version = 2", r"usecase\.toml:(\d+): not valid TOML"),
    ],
)
def test_an_invalid_contract_is_one_line_naming_file_line_and_key(
    project: Path, contract: Any, tmp_path: Path, old: str, new: str, expected: str
) -> None:
    text = (project / "usecase.toml").read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "usecase.toml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(contract.load.ContractError) as caught:
        contract.load.load_contract(broken)
    message = str(caught.value).removeprefix(f"{tmp_path}/")
    assert "\n" not in message
    match = re.match(expected, message)
    assert match, message
    changed_line = next(
        i for i, line in enumerate(broken.read_text().splitlines(), 1) if line not in text.splitlines()
    )
    assert int(match.group(1)) == changed_line
