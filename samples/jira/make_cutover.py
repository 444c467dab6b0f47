"""Writes issues-cutover.csv: the same Jira project exported again on cut-over day (4 March 2024).

The README's "rehearse, then cut over" walkthrough imports issues.csv first, then this file, and
shows what a delta run does with each change. Between the two exports the team:

* created PAY-27 (a new story with a comment);
* resolved PAY-26: new summary, assignee a.kuznetsov → jsmith, In Progress → Resolved (Fixed), and a
  comment dated after the issue's last update in the first export;
* commented on PAY-5 after its last update (no field changed);
* fixed a typo in jsmith's last comment on PAY-12 (Jira's CSV gives comments no ids);
* renamed PAY-11;
* deleted PAY-24.

Run it from anywhere: ``python samples/jira/make_cutover.py`` (the output is deterministic; a test
checks that the committed file is what this script writes).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "issues.csv"
TARGET = HERE / "issues-cutover.csv"

PAY_26_SUMMARY = "Отказ «Операция отклонена» при оплате картой «Мир» с 3-D Secure 2.0 (ВТБ, Почта Банк)"
PAY_26_COMMENT = (
    "28/Feb/24 4:00 PM;jsmith;Фикс выкачен в 2.0.1: отказов по картам ВТБ и Почта Банка больше нет, "
    "доля отказов по «Мир» вернулась к 2 %."
)
PAY_5_COMMENT = (
    "27/Feb/24 2:00 PM;mpetrova;Включили на 5 % аудитории: 212 оплат по СБП из приложения, "
    "возвратов в приложение банка без ошибок."
)
PAY_12_TYPO = ("Нужен свежий HAR от покупателя", "Нужен свежий HAR-файл от покупателя")
PAY_11_SUMMARY = "Show payment method icons (Mir, SBP, cards) on the order page"
PAY_27 = {
    "Summary": "Refund an SBP payment to the buyer's phone number",
    "Issue key": "PAY-27",
    "Issue id": "10126",
    "Issue Type": "Story",
    "Status": "To Do",
    "Project key": "PAY",
    "Project name": "Payments",
    "Project type": "software",
    "Project lead": "jsmith",
    "Project description": "Marketplace payment service: cards, SBP, refunds, receipts",
    "Priority": "Medium",
    "Reporter": "jsmith",
    "Creator": "jsmith",
    "Created": "26/Feb/24 11:00 AM",
    "Updated": "01/Mar/24 9:30 AM",
    "Component/s": "Backend",
    "Votes": "0",
    "Labels": "sbp",
    "Description": "Support asks for refunds of SBP payments by the buyer's phone number when the bank "
    "account is closed.",
    "Custom field (Rank)": "0|i0011b:",
    "Comment": "01/Mar/24 9:30 AM;mpetrova;The bank's API supports it since 1 March; I will estimate it.",
}


def cutover(rows: list[list[str]]) -> list[list[str]]:
    """The cut-over export: the first export's rows with the team's changes (see the docstring)."""
    header, body = rows[0], rows[1:]
    col = {name: header.index(name) for name in header}
    comments = [i for i, name in enumerate(header) if name == "Comment"]
    out = [header, _new_row(header, PAY_27)]
    for row in body:
        key = row[col["Issue key"]]
        row = list(row)
        if key == "PAY-24":
            continue  # deleted in Jira
        if key == "PAY-26":
            row[col["Summary"]] = PAY_26_SUMMARY
            row[col["Status"]] = "Resolved"
            row[col["Resolution"]] = "Fixed"
            row[col["Resolved"]] = "28/Feb/24 4:00 PM"
            row[col["Updated"]] = "28/Feb/24 4:00 PM"
            row[col["Assignee"]] = "jsmith"
            _append(row, comments, PAY_26_COMMENT)
        elif key == "PAY-5":
            row[col["Updated"]] = "27/Feb/24 2:00 PM"
            _append(row, comments, PAY_5_COMMENT)
        elif key == "PAY-12":
            last = max(i for i in comments if row[i])
            row[last] = row[last].replace(*PAY_12_TYPO)
            row[col["Updated"]] = "27/Feb/24 9:00 AM"
        elif key == "PAY-11":
            row[col["Summary"]] = PAY_11_SUMMARY
            row[col["Updated"]] = "26/Feb/24 10:00 AM"
        out.append(row)
    return out


def _new_row(header: list[str], values: dict[str, str]) -> list[str]:
    row = [""] * len(header)
    for name, value in values.items():
        row[header.index(name)] = value
    return row


def _append(row: list[str], columns: list[int], cell: str) -> None:
    free = next(i for i in columns if not row[i])
    row[free] = cell


def render(rows: list[list[str]]) -> bytes:
    """CSV as Jira writes it: UTF-8 without BOM, CRLF line ends, minimal quoting."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def main() -> None:
    with SOURCE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    TARGET.write_bytes(render(cutover(rows)))
    print(f"wrote {TARGET.name}: {len(rows) - 1} issues → {len(cutover(rows)) - 1} issues")


if __name__ == "__main__":
    main()
