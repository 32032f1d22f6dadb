"""pfk init: a workspace a team commits to git, made without overwriting what is there."""

from __future__ import annotations


def test_init_makes_a_workspace_and_says_what_it_wrote(invoke, tmp_path):
    result = invoke("init", "team")
    assert result.exit_code == 0, result.output
    team = tmp_path / "team"
    assert f"✓ 工作区已建好：{team.resolve()}" in result.stdout
    assert sorted(p.name for p in (team / "playbooks").glob("*.yaml")) == sorted(
        ["P_L-F_L-K_L.yaml", "P_L-F_L-K_S.yaml", "P_L-F_S-K_L.yaml", "P_L-F_S-K_S.yaml", "P_S-F_L-K_L.yaml",
         "P_S-F_L-K_S.yaml", "P_S-F_S-K_L.yaml", "P_S-F_S-K_S.yaml", "待回访.yaml"]
    )
    ignored = (team / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {".pfk/", "*.xlsx", "*.xls", "*.csv", "callsheets/", "messages/", "backups/", "reports/"} <= set(ignored)


def test_init_again_changes_nothing(invoke, tmp_path):
    assert invoke("init", ".").exit_code == 0
    (tmp_path / "pfk.toml").write_text("# 我们自己的设置\n", encoding="utf-8")
    result = invoke("init", ".")
    assert result.exit_code == 0
    assert "已经是工作区，没有改动任何文件" in result.stdout
    assert (tmp_path / "pfk.toml").read_text(encoding="utf-8") == "# 我们自己的设置\n"
