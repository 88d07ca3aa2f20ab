"""A volunteer's record as CSV, in the data elements of the national volunteer record (MZ/T 061-2015,
志愿服务信息系统基本规范, and MCA order 67): one row per approved, pending or declined service entry,
the volunteer's data elements repeated on each. Cells a spreadsheet would read as a formula are
written as text (a leading apostrophe)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from linkage import sheets
from linkage.extensions import db
from linkage.models import HoursCorrection, HoursStatus, Shift, SignUp, Volunteer
from linkage.records import services
from linkage.timeutil import LOCAL_TZ

# (data element, in the national record's words)
COLUMNS = ("志愿者编号", "姓名", "所属社区", "注册时间", "累计志愿服务时长（小时）", "星级",
           "服务项目名称", "服务地点", "服务开始时间", "服务结束时间", "服务时长（小时）", "记录状态",
           "人工补录", "更正次数", "记录单位", "记录时间")
STATUS_WORDS = {HoursStatus.approved: "已确认", HoursStatus.pending: "待确认", HoursStatus.declined: "未予确认"}


def _time(value) -> str:
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if value is not None else ""


def rows(volunteer: Volunteer) -> list[list[str]]:
    standing = services.standing(volunteer)
    head = [standing.number or "", volunteer.name, volunteer.region.name, _time(volunteer.created_at), f"{standing.hours:.1f}",
            str(standing.stars)]
    entries = db.session.scalars(
        sa.select(SignUp).join(Shift, Shift.id == SignUp.shift_id)
        .where(SignUp.volunteer_id == volunteer.id, SignUp.hours_status.is_not(None))
        .options(joinedload(SignUp.shift).joinedload(Shift.region)).order_by(Shift.start, SignUp.id)).all()
    corrections = dict(db.session.execute(
        sa.select(HoursCorrection.sign_up_id, sa.func.count()).where(
            HoursCorrection.sign_up_id.in_([e.id for e in entries] or [0])).group_by(HoursCorrection.sign_up_id)).all())
    result = []
    for entry in entries:
        shift = entry.shift
        result.append(head + [shift.title, shift.place or shift.region.name, _time(entry.checked_in_at or shift.start),
                              _time(entry.checked_out_at or shift.end), f"{(entry.minutes or 0) / 60:.1f}",
                              STATUS_WORDS[entry.hours_status], "是" if entry.hours_manual else "否",
                              str(corrections.get(entry.id, 0)), shift.region.name, _time(entry.hours_decided_at)])
    return result or [head + [""] * (len(COLUMNS) - len(head))]


def to_csv(volunteer: Volunteer) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese right."""
    return sheets.to_csv(COLUMNS, rows(volunteer))
