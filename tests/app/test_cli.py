"""The command line as a stranger uses it: demo, one-shot digest, summarise, run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.news.summarise import DEFAULT_ALGORITHM, Summariser
from tests.support import REPO


def run_main(
    *args: str, cwd: Path, stdin: str | None = None, language: str = "C.UTF-8"
) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "DISCORD_", "NEWSDIGEST_", "DATABASE_URL", "LC_"))
    }
    env["LANG"] = language  # the console speaks the terminal's language
    return subprocess.run(
        [sys.executable, str(REPO / "main.py"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        input=stdin,
        timeout=120,
        check=False,
    )


def test_demo_prints_a_digest_with_the_seed_article(tmp_path: Path) -> None:
    result = run_main("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "US, Iraq to Start Talks on Future of US Military Presence" in out
    assert "https://news.antiwar.com/" in out
    seed_block = out.split("US, Iraq to Start Talks")[1].split("\n* ")[0]
    assert "Iraq" in seed_block.split("\n", 1)[1]  # a summary follows the title
    assert out.count("\n* ") >= 4  # the other sample items are there too
    assert not (tmp_path / "data").exists()  # the demo leaves no database behind


def test_digest_of_a_local_file(tmp_path: Path) -> None:
    result = run_main("digest", str(REPO / "config" / "sample-feed.xml"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "US, Iraq to Start Talks" in result.stdout


def test_digest_of_a_missing_source_fails_clearly(tmp_path: Path) -> None:
    result = run_main("digest", "no-such-file.xml", cwd=tmp_path)
    assert result.returncode == 1
    assert "Error: no such file: no-such-file.xml" in result.stderr


def test_summarise_text_from_stdin(tmp_path: Path) -> None:
    text = (REPO / "tests" / "fixtures" / "seed-article.txt").read_text()
    result = run_main("summarise", "--sentences", "2", "-", cwd=tmp_path, stdin=text)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 2
    assert all(line in " ".join(text.split()) for line in lines)


def test_summarise_jsonl(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    article = (REPO / "tests" / "fixtures" / "seed-article.txt").read_text()
    source.write_text(
        json.dumps({"id": "a1", "article": article})
        + "\n"
        + json.dumps({"id": "a2", "article": "One sentence only."})
        + "\n"
    )
    result = run_main("summarise", "--jsonl", str(source), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["id"] for row in rows] == ["a1", "a2"]
    assert len(rows[0]["summary"].split("\n")) == 3
    assert rows[1]["summary"] == "One sentence only."


def test_summarise_jsonl_uses_the_bots_default_summariser(tmp_path: Path) -> None:
    article = (REPO / "tests" / "fixtures" / "seed-article.txt").read_text(encoding="utf-8")
    expected = Summariser(DEFAULT_ALGORITHM).summarise(article)
    assert expected != Summariser("edmundson").summarise(article)  # the test can tell them apart
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "article": article}) + "\n", encoding="utf-8")
    result = run_main("summarise", "--jsonl", str(source), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"].split("\n") == expected


def test_summarise_rejects_unknown_algorithm(tmp_path: Path) -> None:
    result = run_main("summarise", "--algorithm", "magic", "-", cwd=tmp_path, stdin="Hi.")
    assert result.returncode == 2
    assert "lexrank" in result.stderr


def test_run_without_tokens_explains_what_to_do(tmp_path: Path) -> None:
    result = run_main(cwd=tmp_path)
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
    assert "python main.py demo" in result.stderr


def test_distributed_roles_refuse_sqlite_in_one_line(tmp_path: Path) -> None:
    for role in ("gateway", "worker"):
        result = run_main("run", "--role", role, cwd=tmp_path)
        assert result.returncode == 2
        [line] = result.stderr.strip().splitlines()
        assert f"--role {role} needs PostgreSQL" in line
        assert "python main.py run" in line


def test_console_session(tmp_path: Path) -> None:
    result = run_main("console", cwd=tmp_path, stdin="/help\n/list\n/quit\n")
    assert result.returncode == 0, result.stderr
    assert "/subscribe <url>" in result.stdout
    assert "No subscriptions yet" in result.stdout
    assert (tmp_path / "data" / "newsdigest.db").exists()  # state persists between sessions


def test_the_console_speaks_the_terminals_language_or_the_one_asked_for(tmp_path: Path) -> None:
    german = run_main("console", cwd=tmp_path, stdin="/list\n", language="de_DE.UTF-8")
    assert german.returncode == 0, german.stderr
    assert "Tipp /help für die Befehle" in german.stdout
    assert "Noch keine Abos." in german.stdout
    russian = run_main("console", "--language", "ru", cwd=tmp_path, stdin="/list\n")
    assert "Подписок пока нет." in russian.stdout
