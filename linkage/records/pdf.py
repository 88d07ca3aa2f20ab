"""A volunteer service certificate as a PDF, in Chinese, with the font embedded (a subset of Noto Sans CJK
SC from Debian's fonts-noto-cjk). Its four parts follow the 2015 rules on volunteer service certificates:
the volunteer's identity and number; the hours and content of service; the issuing body with its person
in charge, handler and contact; the certificate's number and date (and the verification code)."""
from __future__ import annotations

import os
from typing import Optional

from fpdf import FPDF

from linkage.models import Certificate
from linkage.timeutil import LOCAL_TZ

# Debian's fonts-noto-cjk: a collection; font 2 of it is Simplified Chinese (SC).
FONT_PATHS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",)
FONT_IN_COLLECTION = 2


class FontMissing(RuntimeError):
    """No Chinese font installed (the package fonts-noto-cjk)."""


def font_path() -> str:
    for path in (os.environ.get("LINKAGE_CERTIFICATE_FONT"), *FONT_PATHS):
        if path and os.path.exists(path):
            return path
    raise FontMissing("install fonts-noto-cjk")


def chinese_pdf(title: str, heading: str, *, size: int, height: int) -> FPDF:
    """A new A4 document in Chinese (the font embedded, as ``cjk``) whose first page opens with ``heading``,
    centred in ``size`` points on a line ``height`` mm high."""
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("Linkage")
    pdf.add_font("cjk", fname=font_path(), collection_font_number=FONT_IN_COLLECTION)
    pdf.add_page()
    pdf.set_font("cjk", size=size)
    pdf.cell(0, height, heading, align="C", new_x="LMARGIN", new_y="NEXT")
    return pdf


def _day(value) -> str:
    if value is None:
        return "—"
    local = value.astimezone(LOCAL_TZ)
    return f"{local.year}年{local.month}月{local.day}日"


def _hours(minutes: int) -> str:
    return f"{minutes / 60:.1f}"


def sections(certificate: Certificate, *, volunteer_number: Optional[str], code: Optional[str]) -> list[tuple]:
    """(heading, [(label, value), …]) for each of the four parts, in the words printed."""
    volunteer = certificate.volunteer
    return [
        ("一、志愿者身份信息", [("姓名", volunteer.name), ("志愿者编号", volunteer_number or "—")]),
        ("二、志愿服务时长与内容", [
            ("累计志愿服务时长", f"{_hours(certificate.minutes)} 小时"),
            ("服务期间", f"{_day(certificate.period_from)} 至 {_day(certificate.period_to)}"),
            ("服务内容", certificate.content or "—")]),
        ("三、出具证明单位", [
            ("出具单位", certificate.issuer_name), ("负责人", certificate.person_in_charge),
            ("经办人", certificate.handler_name), ("联系电话", certificate.contact)]),
        ("四、证明编号与日期", [
            ("证明编号", certificate.number), ("出具日期", _day(certificate.issued_at)),
            ("验证码", code or "—")]),
    ]


def render(certificate: Certificate, *, volunteer_number: Optional[str], code: Optional[str]) -> bytes:
    pdf = chinese_pdf(f"志愿服务证明 {certificate.number}", "志愿服务证明", size=22, height=16)
    pdf.set_font("cjk", size=11)
    pdf.multi_cell(0, 7, f"兹证明 {certificate.volunteer.name} 同志参加志愿服务，"
                         f"经记录累计志愿服务时长 {_hours(certificate.minutes)} 小时。特此证明。",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for heading, rows in sections(certificate, volunteer_number=volunteer_number, code=code):
        pdf.set_font("cjk", size=13)
        pdf.cell(0, 10, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=11)
        for label, value in rows:
            pdf.cell(45, 8, f"{label}：")
            pdf.multi_cell(0, 8, str(value), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.ln(6)
    pdf.set_font("cjk", size=9)
    pdf.multi_cell(0, 6, "本证明依据《志愿服务条例》和《志愿服务记录与证明出具办法》出具。"
                         "凭证明编号和验证码可在本平台“证明核验”页面查验真伪。", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
