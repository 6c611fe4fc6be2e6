"""Policies are read only from the shipped files (``geodata/policies``): any other name, a
path, an alias or an over-long value is an unknown policy, and no other file is opened."""

from __future__ import annotations

import shutil

import pytest

from geodata.policy import POLICY_DIR, PolicyError, available_policies, load_policy

REFUSED = ["../../pyproject", "../policies/current", "policies/current", "./current",
           "current.toml", "/etc/passwd", "x" * 300, "é" * 300, "current\x00", "", " current",
           "CURRENT", None, 3]


def test_the_shipped_policies_are_available():
    assert available_policies() == ["ami-2019", "current"]
    assert [load_policy(name).name for name in available_policies()] == ["ami-2019", "current"]


@pytest.mark.parametrize("name", REFUSED)
def test_anything_but_a_shipped_name_is_an_unknown_policy(name):
    with pytest.raises(PolicyError) as refused:
        load_policy(name)
    message = str(refused.value)
    assert message.startswith("politique inconnue : ")
    assert message.endswith("(disponibles : ami-2019, current)")
    assert len(message) < 150  # a 300-character value is not echoed whole


def test_a_valid_policy_file_outside_the_folder_is_never_read(tmp_path):
    """A decoy policy beside the folder, valid in every way: a path reaching it is refused."""
    folder = tmp_path / "policies"
    folder.mkdir()
    shutil.copy(POLICY_DIR / "current.toml", folder / "current.toml")
    decoy = (POLICY_DIR / "current.toml").read_text(encoding="utf-8")
    (tmp_path / "decoy.toml").write_text(decoy.replace('name = "current"', 'name = "decoy"'),
                                         encoding="utf-8")
    assert load_policy("current", folder).name == "current"
    for name in ("../decoy", f"{tmp_path}/decoy", "policies/../../decoy"):
        with pytest.raises(PolicyError, match="politique inconnue"):
            load_policy(name, folder)
