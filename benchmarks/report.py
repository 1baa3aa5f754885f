"""Render result tables as aligned plain text or as GitHub Markdown."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Table:
    """A titled table; ``right`` marks the columns to right-align (numbers)."""

    title: str
    headers: list[str]
    right: set[int] = field(default_factory=set)
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: str) -> None:
        if len(cells) != len(self.headers):
            raise ValueError(f"{self.title}: a row has {len(cells)} cells for {len(self.headers)} columns")
        self.rows.append(list(cells))


def _plain(table: Table) -> str:
    widths = [max(len(row[i]) for row in [table.headers, *table.rows]) for i in range(len(table.headers))]

    def line(cells: list[str]) -> str:
        parts = [
            cell.rjust(widths[i]) if i in table.right else cell.ljust(widths[i]) for i, cell in enumerate(cells)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    out = [table.title, "=" * len(table.title), line(table.headers), rule]
    out.extend(line(row) for row in table.rows)
    out.extend(f"  * {note}" for note in table.notes)
    return "\n".join(out)


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|")


def _markdown(table: Table) -> str:
    out = [f"### {table.title}", ""]
    out.append("| " + " | ".join(_escape(h) for h in table.headers) + " |")
    out.append("|" + "|".join("---:" if i in table.right else ":---" for i in range(len(table.headers))) + "|")
    out.extend("| " + " | ".join(_escape(cell) for cell in row) + " |" for row in table.rows)
    if table.notes:
        out.append("")
        out.extend(f"- {note}" for note in table.notes)
    return "\n".join(out)


def render(tables: list[Table], *, markdown: bool) -> str:
    """All tables, separated by blank lines."""
    renderer = _markdown if markdown else _plain
    return "\n\n".join(renderer(table) for table in tables) + "\n"
