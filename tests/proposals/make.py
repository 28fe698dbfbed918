#!/usr/bin/env python3
"""Makes the Word proposals the tests read (tests/proposal_docx.rs), one per shape a real
proposal takes: requirement tables without a header row, merged cells and bullets, runs split
mid-word and tracked changes, a table continued after a page break, Thai and English in one cell
with the head as a table, and clause ids outside any table. python-docx writes them as Word does
(its default template is Word's); run `pip install python-docx && python3 tests/proposals/make.py`
to make them again. csg.docx is the bundled CSG proposal converted by pandoc:
`pandoc -f gfm suites/csg/proposal.md -o tests/proposals/csg.docx`.
"""
import copy
import os

from docx import Document
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

HERE = os.path.dirname(os.path.abspath(__file__))


def table(doc, rows, header=None, repeat_header=False):
    cols = max(len(r) for r in rows + ([header] if header else []))
    t = doc.add_table(rows=0, cols=cols)
    t.style = "Table Grid"
    if header:
        cells = t.add_row().cells
        for c, text in zip(cells, header):
            c.text = text
        if repeat_header:
            tr_pr = t.rows[0]._tr.get_or_add_trPr()
            tr_pr.append(OxmlElement("w:tblHeader"))
    for r in rows:
        cells = t.add_row().cells
        for c, text in zip(cells, r):
            c.text = text
    return t


def bullet(paragraph):
    """A bullet as Word's bullets button makes it: numbering on the paragraph itself."""
    p_pr = paragraph._p.get_or_add_pPr()
    num = OxmlElement("w:numPr")
    ilvl = OxmlElement("w:ilvl")
    ilvl.set(qn("w:val"), "0")
    num_id = OxmlElement("w:numId")
    num_id.set(qn("w:val"), "1")
    num.append(ilvl)
    num.append(num_id)
    p_pr.append(num)


def save(doc, name):
    doc.save(os.path.join(HERE, name))


def headerless():
    doc = Document()
    doc.add_paragraph("ข้อเสนอทางเทคนิค งานบริการชำระภาษีรถประจำปี", style="Title")
    doc.add_paragraph("ชื่องานบริการ: ชำระภาษีรถประจำปี (Annual vehicle tax payment)")
    doc.add_paragraph("รหัสบริการ: VTX")
    doc.add_paragraph("ส่วนราชการ: กรมการขนส่งตัวอย่าง")
    doc.add_paragraph("เวอร์ชัน: 2.1")
    doc.add_heading("1. การยืนยันตัวตน (authentication)", level=1)
    table(doc, [
        ["VT-1.1", "ต้อง", "ทุกคำขอต้องมี header Authorization แบบ Bearer"],
        ["VT-1.2", "ต้อง", "token หมดอายุได้ 401 พร้อม error body"],
        ["VT-1.3", "ควร", "บันทึกการเรียกที่ไม่ผ่านการยืนยันตัวตน"],
        ["VT-1.4", "ต้อง", "ไม่ตอบ 2xx เมื่อไม่มี token"],
    ])
    doc.add_heading("2. การชำระเงิน (payment)", level=1)
    # A leading row-number column, and the level last.
    table(doc, [
        ["1", "VT-2.1", "ยื่นชำระภาษีได้ 201 พร้อมเลขที่ใบเสร็จ", "ต้อง"],
        ["2", "VT-2.2", "ยอดภาษีเป็นจำนวนเต็มสตางค์", "ต้อง"],
        ["3", "VT-2.3", "ชำระซ้ำด้วย request_id เดิมได้ใบเสร็จเดิม", "ต้อง"],
        ["4", "VT-2.4", "ทะเบียนรถไม่ถูกต้องได้ 422", "ต้อง"],
        ["5", "VT-2.5", "ตอบภายใน 3 วินาที", "ควร"],
    ])
    doc.add_heading("3. การแจ้งผล (notification)", level=1)
    table(doc, [
        ["VT-3.1", "ต้อง", "แจ้งผลการชำระไปยัง Portal ภายใน 10 วินาที"],
        ["VT-3.2", "ต้อง", "ส่งซ้ำเมื่อ Portal ตอบ 5xx"],
        ["VT-3.3", "ควร", "แนบเลขที่ใบเสร็จทุกครั้ง"],
        ["VT-3.4", "ต้อง", "ไม่ส่งผลเดิมซ้ำเมื่อได้ 2xx แล้ว"],
    ])
    save(doc, "headerless.docx")


def merged():
    doc = Document()
    doc.add_paragraph("งานบริการ: ขออนุญาตตั้งร้านค้า (Shop permit)")
    doc.add_paragraph("รหัสงานบริการ: SHP")
    doc.add_paragraph("หน่วยงาน: สำนักงานเขตตัวอย่าง")
    doc.add_paragraph("ฉบับที่: 1.0")
    doc.add_heading("1. ข้อกำหนด (requirements)", level=1)
    t = doc.add_table(rows=6, cols=4)
    t.style = "Table Grid"
    # Header: the text column is split in two (the requirement and a note) under one header.
    head = t.rows[0].cells
    head[0].text, head[1].text, head[2].text = "ID", "ระดับ", "ข้อกำหนด"
    head[2].merge(head[3])
    # A row merged across the whole table: a section title.
    section = t.rows[1].cells
    section[0].merge(section[3]).text = "หมวด ก การยื่นคำขอ (submission)"
    rows = [
        ("SH-1.1", "ยื่นคำขอได้ 201", "ดูตัวอย่างในภาคผนวก"),
        ("SH-1.2", "ไฟล์แนบไม่เกิน 5 ไฟล์", ""),
        ("SH-1.3", None, ""),
    ]
    for i, (cid, text, note) in enumerate(rows):
        cells = t.rows[2 + i].cells
        cells[0].text = cid
        if text:
            cells[2].text = text
        cells[3].text = note
    # The level merged down over three rows.
    t.rows[2].cells[1].merge(t.rows[4].cells[1]).text = "ต้อง"
    # A cell with a line break and bullets.
    cell = t.rows[4].cells[2]
    cell.text = ""
    p = cell.paragraphs[0]
    p.add_run("ตรวจเอกสารแนบ:")
    p.add_run().add_break(WD_BREAK.LINE)
    p.add_run("ชนิดไฟล์ที่รับ")
    for item in ["PDF", "JPEG"]:
        bullet(cell.add_paragraph(item))
    last = t.rows[5].cells
    last[0].text, last[1].text, last[2].text = "SH-1.4", "ควร", "แจ้งเหตุผลเมื่อไม่อนุมัติ"
    save(doc, "merged.docx")


def split_runs():
    doc = Document()
    doc.add_paragraph("งานบริการ: ขอใบรับรอง (Certificate)")
    doc.add_paragraph("รหัสงานบริการ: CRT")
    doc.add_paragraph("หน่วยงาน: กรมตัวอย่าง")
    doc.add_paragraph("ฉบับที่: 3")
    doc.add_heading("2. ใบรับรอง (certificate)", level=2)
    t = table(doc, [], header=["ID", "ระดับ", "ข้อกำหนด"])
    cells = t.add_row().cells
    # The id, the level and a word each split over runs, bold and italic mid-word.
    for cell, parts in [
        (cells[0], [("CR-", False), ("2", True), (".1", False)]),
        (cells[1], [("ต้", False), ("อง", True)]),
        (cells[2], [("ออกใบรับรองเป็น ", False), ("P", True), ("DF", False), (" ภายใน 1 นาที", False)]),
    ]:
        p = cell.paragraphs[0]
        for text, bold in parts:
            run = p.add_run(text)
            run.bold = bold
            run.italic = bold
    cells = t.add_row().cells
    cells[0].text, cells[1].text = "CR-2.2", "ควร"
    p = cells[2].paragraphs[0]
    p.add_run("ใบรับรองมีลายมือชื่ออิเล็กทรอนิกส์")
    # A tracked deletion (not part of the text) and a field code (not text either).
    deleted = OxmlElement("w:del")
    deleted.set(qn("w:id"), "1")
    deleted.set(qn("w:author"), "tester")
    run = OxmlElement("w:r")
    del_text = OxmlElement("w:delText")
    del_text.text = " และ CR-9.9 ที่ลบแล้ว"
    run.append(del_text)
    deleted.append(run)
    p._p.append(deleted)
    field = OxmlElement("w:r")
    instr = OxmlElement("w:instrText")
    instr.text = ' HYPERLINK "https://example.com/CR-9.8" '
    field.append(instr)
    p._p.append(field)
    save(doc, "split-runs.docx")


def page_break():
    doc = Document()
    doc.add_paragraph("งานบริการ: ขอคืนภาษี (Tax refund)")
    doc.add_paragraph("รหัสงานบริการ: RFD")
    doc.add_paragraph("หน่วยงาน: กรมตัวอย่าง")
    doc.add_paragraph("ฉบับที่: 1.2")
    doc.add_heading("4. การคืนเงิน (refund)", level=1)
    header = ["ข้อ", "ระดับ", "รายละเอียด"]
    table(doc, [
        ["RF-4.1", "ต้อง", "คำขอคืนเงินได้เลขที่คำขอ"],
        ["RF-4.2", "ต้อง", "ยอดคืนไม่เกินยอดที่ชำระ"],
        ["RF-4.3", "ควร", "แจ้งวันที่คาดว่าจะคืน"],
    ], header=header, repeat_header=True)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    # The table goes on after the page break: no header row.
    table(doc, [
        ["RF-4.4", "ต้อง", "บัญชีปลายทางเป็นของผู้ขอ"],
        ["RF-4.5", "ต้อง", "แจ้งผลไปยัง Portal"],
    ])
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    # And again, its header repeated.
    table(doc, [["RF-4.6", "ควร", "ยกเลิกคำขอได้ก่อนอนุมัติ"]], header=header, repeat_header=True)
    save(doc, "page-break.docx")


def bilingual():
    doc = Document()
    doc.add_paragraph("Technical proposal", style="Title")
    # The head as the first table, English labels.
    table(doc, [
        ["Service name", "ขอหนังสือรับรองการเป็นผู้ประกอบการ (Business certificate)"],
        ["Service code", "BIZ"],
        ["Agency", "กรมพัฒนาตัวอย่าง"],
        ["Version", "0.9 draft"],
    ])
    doc.add_heading("1. Requests", level=1)
    t = table(doc, [], header=["Clause", "Level", "Requirement"])
    cells = t.add_row().cells
    cells[0].text, cells[1].text = "BZ-1.1", "ต้อง / Must"
    cells[2].text = "ตอบ 201 พร้อมเลขที่หนังสือรับรอง"
    cells[2].add_paragraph("Answers 201 with the certificate number.")
    cells = t.add_row().cells
    cells[0].text, cells[1].text = "BZ-1.2", "ควร (should)"
    cells[2].text = "บันทึกทุกคำขอ / Every request is logged with its id"
    cells = t.add_row().cells
    cells[0].text, cells[1].text = "BZ-1.3", "MUST"
    cells[2].text = "Rejects a request without a consent flag with 422."
    save(doc, "bilingual.docx")


def stray():
    doc = Document()
    doc.add_heading("5. การตรวจสอบสถานะ (status)", level=1)
    table(doc, [
        ["ST-5.1", "ต้อง", "ตอบสถานะคำขอภายใน 2 วินาที"],
        ["ST-5.2", "ควร", "สถานะเป็นภาษาไทยตามตาราง"],
    ], header=["ID", "ระดับ", "ข้อกำหนด"])
    doc.add_paragraph("ตามข้อ ST-5.1 สถานะต้องมาจากตารางด้านล่าง")
    doc.add_paragraph("ข้อ ST-5.3 ต้องแจ้งเมื่อสถานะเปลี่ยน (ต้อง)")
    table(doc, [
        ["status", "ความหมาย"],
        ["received", "รับแล้ว ดูข้อ ST-5.9"],
    ])
    save(doc, "stray-id.docx")


def tricky():
    """What a reviewer found Word documents hold: a frame table around the requirements,
    formatting a tracked change replaced, hidden text, level marks, two text columns, a row
    that only continues the clause above, and ids in a page header and a comment."""
    doc = Document()
    doc.sections[0].header.paragraphs[0].text = "ร่างเพื่อหารือ ดูข้อ TK-9.1"
    doc.add_heading("1. ทั่วไป (general)", level=1)
    # A one-cell frame table around the requirement table.
    frame = doc.add_table(rows=1, cols=1)
    inner = frame.rows[0].cells[0].add_table(rows=0, cols=3)
    for cid, lvl, text in [("TK-1.1", "ต้อง", "ข้อในกรอบ"), ("TK-1.2", "ควร", "ข้อที่สองในกรอบ")]:
        cells = inner.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = cid, lvl, text
    # A paragraph that used to be a heading (its old style kept by tracked changes).
    p = doc.add_paragraph("ย่อหน้าธรรมดา")
    p_pr = p._p.get_or_add_pPr()
    change = OxmlElement("w:pPrChange")
    change.set(qn("w:id"), "2")
    change.set(qn("w:author"), "tester")
    old = OxmlElement("w:pPr")
    style = OxmlElement("w:pStyle")
    style.set(qn("w:val"), "Heading1")
    old.append(style)
    change.append(old)
    p_pr.append(change)
    # Levels as marks, two text columns, a continuation row, a hidden note, and a level cell
    # that used to be merged with the one above (tracked).
    t = table(doc, [
        ["TK-2.1", "ตอบ 200", "Answers with status 200", "✓", ""],
        ["", "และบันทึกผล", "", "", ""],
        ["TK-2.2", "แจ้งผล", "Notifies the portal of the result", "", "✓"],
    ], header=["รหัส", "ข้อกำหนด (ภาษาไทย)", "Requirement (English)", "ต้อง", "ควร"])
    run = t.rows[3].cells[1].paragraphs[0].add_run(" (ยกเลิก)")
    run.font.hidden = True
    tc_pr = t.rows[3].cells[4]._tc.get_or_add_tcPr()
    tc_change = OxmlElement("w:tcPrChange")
    tc_change.set(qn("w:id"), "3")
    tc_change.set(qn("w:author"), "tester")
    old_tc = OxmlElement("w:tcPr")
    old_tc.append(OxmlElement("w:vMerge"))
    tc_change.append(old_tc)
    tc_pr.append(tc_change)
    doc.add_comment(t.rows[1].cells[0].paragraphs[0].runs, text="เทียบกับ TK-9.2 ของฉบับเดิม", author="tester")
    save(doc, "tricky.docx")


if __name__ == "__main__":
    headerless()
    merged()
    split_runs()
    page_break()
    bilingual()
    stray()
    tricky()
