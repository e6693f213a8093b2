from pathlib import Path

from cuakhau.benchdoc import replace_section


def test_a_benchmark_replaces_only_its_own_section(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## 5. Events\n\nold five\n\n## 6. Payments\n\nsix\n")
    replace_section(doc, "## 5. Events", "## 5. Events\n\nnew five\n")
    assert doc.read_text() == "# Benchmarks\n\n## 5. Events\n\nnew five\n\n## 6. Payments\n\nsix\n"
    replace_section(doc, "## 7. Reports", "## 7. Reports\n\nseven\n")
    assert doc.read_text().endswith("## 6. Payments\n\nsix\n\n## 7. Reports\n\nseven\n")
    replace_section(doc, "## 6. Payments", "## 6. Payments\n\nnew six\n")
    text = doc.read_text()
    assert "new six" in text and "\nsix" not in text.replace("new six", "")
    assert text.index("## 6.") < text.index("## 7.")
