"""Benchmarks write their latest figures into docs/performance.md, each between its own
markers, so one benchmark's run never erases another's figures or the text around them."""

from pathlib import Path

PERFORMANCE_DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
BEGIN_MARKER = "<!-- {name}:begin (written by `{command}`) -->"
END_MARKER = "<!-- {name}:end -->"


def docs_block_write(name: str, command: str, text: str, path: Path = PERFORMANCE_DOC) -> None:
    """Replace the block between ``name``'s markers; add it at the end when missing."""
    docs = path.read_text() if path.exists() else "# Performance\n"
    begin = BEGIN_MARKER.format(name=name, command=command)
    end = END_MARKER.format(name=name)
    block = f"{begin}\n{text}\n{end}"
    if begin in docs and end in docs:
        before, rest = docs.split(begin, 1)
        docs = before + block + rest.split(end, 1)[1]
    else:
        docs = docs.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(docs)
