"""check_xlsx.py: reads the workbook test_xlsx.c wrote from its fixture
snapshot with Debian's python3-openpyxl and asserts what a user of Excel
would see: sheet names, numbers as numbers, percent formats whose display
equals the report's rounded figure, ○/×/- as text, frozen panes, Japanese
text with its line break. Exits non-zero (AssertionError) on a mismatch.

Usage: /usr/bin/python3 check_xlsx.py FILE.xlsx
"""
import datetime
import sys
from decimal import ROUND_HALF_UP, Decimal

import openpyxl

SHEETS = ["概要", "1-5 実施率", "2 実施状況", "集計表", "事例", "回答状況"]


def shown(cell):
    """The text a spreadsheet shows for a percent cell: the value times 100
    rounded half up to the format's decimals. Decimal(repr(v)) is the
    shortest decimal that round-trips the double, i.e. what Excel's 15
    significant digits give; a value written as the exact count/n (0.425
    for 34/80) would be rounded from 0.42499999... by readers that use the
    binary value, so the workbook must hold the rounded figure itself."""
    fmt = cell.number_format
    assert fmt.endswith("%"), (cell.coordinate, fmt)
    decimals = len(fmt.split(".")[1]) - 1 if "." in fmt else 0
    v = Decimal(repr(cell.value)) * 100
    q = Decimal(1).scaleb(-decimals)
    return str(v.quantize(q, rounding=ROUND_HALF_UP)) + "%"


def exact_display(cell, text):
    """The value is the report's figure itself (no rounding needed)."""
    assert isinstance(cell.value, float) or isinstance(cell.value, int), \
        (cell.coordinate, cell.value)
    assert shown(cell) == text, (cell.coordinate, shown(cell), text)
    assert Decimal(repr(cell.value)) * 100 == Decimal(text.rstrip("%")), \
        (cell.coordinate, cell.value)


def row_of(ws, col, value):
    for row in ws.iter_rows():
        if row[col].value == value:
            return row
    raise AssertionError(f"{ws.title}: no row with {value!r}")


def check(path):
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == SHEETS, wb.sheetnames
    for ws in wb.worksheets:
        assert ws.freeze_panes is not None, ws.title
        assert ws.cell(1, 1).font.b, (ws.title, "bold heading")

    ws = wb["概要"]
    assert ws.freeze_panes == "A2", ws.freeze_panes
    kv = {r[0].value: r[1].value for r in ws.iter_rows(min_row=2)}
    assert kv["タイトル"] == "小児慢性特定疾病児童等自立支援事業 実施状況調査"
    assert kv["調査"] == "shoman-jiritsu-r6"
    assert kv["調査票の版"] == "2024-10" and kv["作成の契機"] == "rerun"
    assert kv["スナップショット版"] == 7
    assert kv["反映した変更ログ"] == 412
    assert kv["作成日時 (UTC)"] == datetime.datetime(2024, 12, 1), \
        kv["作成日時 (UTC)"]
    assert kv["ダイジェスト"] == "".join(
        f"{0xA0 + i:02x}" for i in range(32))
    assert kv["回答区分"] == "都道府県、指定都市"

    ws = wb["1-5 実施率"]
    assert ws.freeze_panes == "B3", ws.freeze_panes
    assert ws["B1"].value == "全体" and ws["E1"].value == "都道府県"
    assert ws["H1"].value == "指定都市"
    assert ws["A1"].value == "事業名"
    assert [c.value for c in ws[2]][1:4] == ["実施率", "実施数", "回答数"]
    merged = [str(r) for r in ws.merged_cells.ranges]
    assert "A1:A2" in merged and "B1:D1" in merged, merged
    row = row_of(ws, 0, "相談支援事業")
    pct, count, n = row[1], row[2], row[3]
    assert pct.number_format == "0%", pct.number_format
    exact_display(pct, "43%")  # 34/80 = 42.5% half up
    assert pct.value == 0.43, pct.value
    assert (count.value, n.value) == (34, 80)
    assert count.number_format == "#,##0"
    exact_display(row[4], "43%")  # 20/47
    exact_display(row[7], "42%")  # 14/33
    row = row_of(ws, 0, "就職支援事業")
    assert row[7].value == "-" and row[8].value == 0 and row[9].value == 0

    ws = wb["2 実施状況"]
    assert ws.freeze_panes == "E2", ws.freeze_panes
    head = [c.value for c in ws[1]]
    assert head == ["#", "区分", "団体コード", "自治体名",
                    "小慢医療受給者証保有者数", "相談支援事業",
                    "自立支援員の外部委託"], head
    hokkaido = row_of(ws, 3, "北海道")
    assert hokkaido[2].value == "010006"  # text: leading zero kept
    assert hokkaido[1].value == "都道府県" and hokkaido[0].value == 1
    holders = hokkaido[4]
    assert holders.data_type == "n" and holders.value == 2203, holders.value
    assert holders.number_format == "#,##0", holders.number_format
    aomori = row_of(ws, 3, "青森県")
    assert aomori[4].value == 585 and aomori[4].number_format == "#,##0"
    assert [c.value for c in aomori[5:7]] == ["○", "×"]
    sapporo = row_of(ws, 3, "札幌市")
    assert sapporo[1].value == "指定都市"
    assert [c.value for c in sapporo[5:7]] == ["×", "-"]
    assert sapporo[6].alignment.horizontal == "center"
    sums = [(r[1].value, r[3].value, r[4].value) for r in ws.iter_rows()
            if r[3].value in ("合計", "回答数")]
    assert sums == [("都道府県", "合計", 2788), ("都道府県", "回答数", 2),
                    ("指定都市", "合計", 2058), ("指定都市", "回答数", 1),
                    ("全体", "合計", 4846), ("全体", "回答数", 3)], sums
    assert row_of(ws, 3, "合計")[4].number_format == "#,##0"
    assert ws.auto_filter.ref == "A1:G4", ws.auto_filter.ref
    row_of(ws, 3, "○：実施している")

    ws = wb["集計表"]
    assert ws.freeze_panes == "A3", ws.freeze_panes
    row = row_of(ws, 3, "電話")
    assert [c.value for c in row[:3]] == ["相談支援事業",
                                          "相談受付方法（複数回答）", "○"]
    exact_display(row[4], "67%")
    assert (row[5].value, row[6].value) == (2, 3)
    exact_display(row[7], "50%")
    exact_display(row_of(ws, 3, "窓口")[4], "100%")

    ws = wb["事例"]
    assert ws.freeze_panes == "A2", ws.freeze_panes
    row = row_of(ws, 3, "北海道")
    assert row[0].value == "小児慢性特定疾病児童等自立支援員による支援"
    assert row[1].value == "委託先選定理由"
    text = row[5]
    assert text.value == ("小児慢性特定疾病に精通しているため\n"
                          "専門的な相談に対応できるため"), repr(text.value)
    assert text.alignment.wrap_text, "wrap"
    assert ws.column_dimensions["F"].width >= 60
    assert row_of(ws, 3, "札幌市")[5].value == "公募による"

    ws = wb["回答状況"]
    assert ws.freeze_panes == "A7", ws.freeze_panes
    assert [c.value for c in ws[2]][:5] == ["全体", 3, 1, 1, 1]
    exact_display(ws["F2"], "67%")
    exact_display(ws["G2"], "33%")
    exact_display(ws["G4"], "0%")
    assert ws["A6"].value == "団体コード"
    states = [(r[1].value, r[3].value, r[4].value, r[5].value)
              for r in ws.iter_rows(min_row=7)]
    assert states == [
        ("北海道", "完了", 1, None), ("青森県", "未回答", None, None),
        ("札幌市", "回答途中", 3,
         "other_support_content, other_support_funding")], states

    print(f"check_xlsx: {path}: ok")


if __name__ == "__main__":
    check(sys.argv[1])
