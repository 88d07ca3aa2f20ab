"""A resident's data export as a readable PDF, in Chinese, with the certificate's embedded font
(``linkage.records.pdf``): the record, each need, and the access log."""
from __future__ import annotations

from linkage.models import NEED_STATUS_LABELS, NeedChannel, NeedStatus
from linkage.records.pdf import chinese_pdf

PROFILE = (("name", "姓名"), ("id_number", "身份证号"), ("birth_date", "出生日期"), ("gender", "性别"),
           ("phone", "电话"), ("address", "地址"), ("region", "所在社区/网格"), ("tags", "特殊群体"),
           ("health_notes", "健康情况"), ("consent_at", "同意处理个人信息的时间"), ("registered_at", "登记时间"),
           ("account", "平台账号"), ("anonymized_at", "匿名化时间"))
NEED = (("category", "类别"), ("status", "状态"), ("channel", "来源渠道"), ("created_at", "提出时间"),
        ("closed_at", "结束时间"), ("description", "详情"), ("status_note", "处理说明"), ("caller_phone", "来电号码"),
        ("photos", "照片数"), ("duplicate_of", "已合并到需求"), ("rating", "评分"), ("rating_comment", "评价"))
CHANNELS = {NeedChannel.staff_on_behalf.value: "社区工作人员代为登记", NeedChannel.resident_self.value: "居民本人提交",
            NeedChannel.grid_worker.value: "网格员登记", NeedChannel.hotline.value: "电话来电",
            NeedChannel.paper_record.value: "以往纸质台账"}
GENDERS = {"M": "男", "F": "女"}
ACTIONS = {"resident.register": "登记", "resident.reveal_id": "查看完整身份证号", "resident.export": "工作人员导出数据",
           "resident.export_own": "本人导出数据",
           "resident.anonymize": "匿名化"}


def _text(key: str, value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if key == "status":
        try:
            return str(NEED_STATUS_LABELS[NeedStatus(value)])
        except ValueError:
            return str(value)
    if key == "channel":
        return CHANNELS.get(value, str(value))
    if key == "gender":
        return GENDERS.get(value, str(value))
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    if key.endswith("_at") and isinstance(value, str):
        return value[:16].replace("T", " ")
    return str(value)


def render(data: dict) -> bytes:
    pdf = chinese_pdf("个人数据导出", "个人数据导出", size=20, height=14)
    pdf.set_font("cjk", size=10)
    pdf.cell(0, 7, f"导出时间：{_text('exported_at', data['exported_at'])}（UTC）", align="C",
             new_x="LMARGIN", new_y="NEXT")

    def heading(text: str) -> None:
        pdf.ln(3)
        pdf.set_font("cjk", size=13)
        pdf.cell(0, 9, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=10)

    def row(label: str, value: str) -> None:
        pdf.cell(50, 7, f"{label}：")
        pdf.multi_cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")

    heading("一、个人信息")
    for key, label in PROFILE:
        row(label, _text(key, data["resident"].get(key)))
    heading("二、提出的需求")
    if not data["needs"]:
        row("需求", "无")
    for need in data["needs"]:
        pdf.set_font("cjk", size=11)
        pdf.multi_cell(0, 8, f"需求 #{need['id']}：{need['title']}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=10)
        for key, label in NEED:
            row(label, _text(key, need.get(key)))
    heading("三、关注的需求")
    if not data["followed_needs"]:
        row("需求", "无")
    for need in data["followed_needs"]:
        row(f"需求 #{need['id']}", f"{need['title']}（{_text('status', need['status'])}）")
    heading("四、记录访问日志")
    for event in data["access_log"]:
        what = ACTIONS.get(event["action"], event["action"])
        row(_text("at", event["at"][:16].replace("T", " ") if event["at"] else None),
            what + (f"：{event['reason']}" if event["reason"] else ""))
    return bytes(pdf.output())
