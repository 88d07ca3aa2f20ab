"""The demo district (示范区): regions, people, organizations, needs, projects and shifts.

Everything is drawn from ``random.Random(seed)``, so a seed gives the same district every time
(times are relative to today, so shifts always fall in the coming week). People, organizations and
projects are written with bulk INSERTs and share one password hash. What happens to needs and shifts
is history: each step (a need reported, verified, delivered, rated; a shift created, signed up for,
attended, closed, its hours confirmed) is kept with the moment it happened and then written, oldest
first, through the same services the pages call, as of that moment (``timeutil.as_of``), so the audit
trail tells who did what when and every rule (eligibility, capacity, waiting lists) holds as it did.
Only the demo log-ins, community and street staff and organization admins get accounts.
"""
from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import partial
from typing import Callable, Optional

import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.orm import selectinload

from linkage import audit, settings
from linkage.errors import Refused
from linkage.extensions import db
from linkage.identifiers import CREDIT_CODE_ALPHABET, credit_code_check_char, resident_id_check_char
from linkage.models import (AccountStatus, AuditEvent, Availability, Bid, BidStatus, Category, ConsentChannel,
                            ConsentPurpose, EvaluationKind, MatchKind, MatchRun,
                            HoursStatus, Milestone, Need, NeedStatus, Notification, Organization, OrgStatus, OrgType,
                            Project, ProjectStatus, Recurrence, Region, RegionLevel, Resident, ResidentTag,
                            Role, Shift, SignUp, SignUpStatus, Skill, SocialWorker,
                            User, Volunteer, VolunteerStatus, VulnerableTag, WorkerLevel)
from linkage.models.organizations import organization_categories
from linkage.models.people import volunteer_skills
from linkage.models.projects import bid_team, project_categories
from linkage.community import consents
from linkage.matching import services as matching_services
from linkage.contracts import services as contract_services
from linkage.needs import escalation, intake, services as needs_services
from linkage.organizations import services as org_services
from linkage.projects import panels, queries, standstill, services as project_services
from linkage.security import blind_index, encrypt, hash_password
from linkage.seed import (history as seed_history, meetings as seed_meetings, names, records as seed_records,
                          skills as seed_skills, visits as seed_visits)
from linkage.seed.cases import plan_cases
from linkage.seed.taxonomy import install_taxonomy
from linkage.shifts import places, series as shift_series, services as shift_services
from linkage.volunteers import calendar, services as volunteer_services
from linkage.timeutil import LOCAL_TZ, as_of, local_to_utc, now as utc_now, today as local_today
from matching.availability import merge_windows

DEMO_PASSWORD = "linkage-demo"
DISTRICT_CODE = "310199"
CENTER = (31.23, 121.47)
KM_PER_DEG_LAT = 111.195

# (username, label, role, where): the label fits the CLI's 16-character column; ``where`` names the
# region or organization the account works in.
DEMO_ACCOUNTS = [
    ("admin", "administrator", Role.admin, None),
    ("civil", "civil (district)", Role.civil_affairs, "district"),
    ("street", "civil (street)", Role.civil_affairs, "street"),
    ("community", "community staff", Role.community_staff, "community"),
    ("grid", "grid worker", Role.grid_worker, "grid"),
    ("orgadmin", "org admin", Role.org_admin, "organization"),
    ("worker", "social worker", Role.social_worker, "organization"),
    ("supervisor", "senior worker", Role.social_worker, "organization"),
    ("volunteer", "volunteer", Role.volunteer, "community"),
    ("resident", "resident", Role.resident, "grid"),
    ("expert", "expert", Role.expert, "district"),
    ("observer", "observer", Role.observer, "street"),
]
# The social workers with demo log-ins, by their place among the first organization's workers.
DEMO_WORKERS = {0: "worker", 1: "supervisor"}
DEMO_DISPLAY_NAMES = {
    "admin": "系统管理员", "civil": "李明", "street": "王芳", "community": "张丽", "grid": "陈刚",
    "orgadmin": "刘洋", "worker": "赵敏", "supervisor": "钱慧", "volunteer": "孙悦", "resident": "周秀英", "expert": "吴建华",
    "observer": "郑国强",
}

# Streets: (name, English name, offset from the district center in km (north, east), communities).
# Communities: (name, English name, offset from the street center in km, grids, roads).
STREETS = [
    ("梧桐街道", "Wutong Street", (-2.4, -2.2), [
        ("枫林社区", "Fenglin Community", (0.6, 0.5), 3, ["枫林路", "梧桐路", "东安路"]),
        ("康乐社区", "Kangle Community", (-0.7, 0.4), 2, ["康乐路", "宛南路"]),
        ("春晖社区", "Chunhui Community", (0.5, -0.8), 4, ["春晖路", "零陵路", "中山南二路"]),
        ("和平社区", "Heping Community", (-0.6, -0.6), 3, ["和平路", "斜土路"]),
    ]),
    ("滨江街道", "Binjiang Street", (2.2, 2.6), [
        ("望江社区", "Wangjiang Community", (0.7, 0.6), 2, ["望江路", "滨江大道"]),
        ("临江社区", "Linjiang Community", (-0.5, 0.8), 3, ["临江路", "浦明路"]),
        ("海棠社区", "Haitang Community", (0.6, -0.7), 3, ["海棠路", "东昌路"]),
        ("滨江花园社区", "Binjiang Garden Community", (-0.7, -0.5), 4, ["花园路", "潍坊路", "崂山路"]),
    ]),
    ("新华街道", "Xinhua Street", (1.8, -3.0), [
        ("新华社区", "Xinhua Community", (0.5, 0.7), 3, ["新华路", "番禺路"]),
        ("幸福里社区", "Xingfuli Community", (-0.6, 0.5), 2, ["幸福路", "法华镇路"]),
        ("翠竹社区", "Cuizhu Community", (0.6, -0.6), 4, ["翠竹路", "定西路", "延安西路"]),
        ("青年社区", "Qingnian Community", (-0.5, -0.7), 2, ["青年路", "安顺路"]),
    ]),
]

# Birthplaces in ID numbers: mostly Shanghai districts, some other provinces.
AREA_CODES = [
    ("310101", 12), ("310104", 12), ("310105", 8), ("310106", 10), ("310107", 8), ("310109", 8),
    ("310110", 8), ("310112", 6), ("310115", 10), ("320102", 2), ("320583", 2), ("330106", 2),
    ("340104", 2), ("370102", 1), ("410102", 2), ("420106", 1), ("430102", 1), ("510107", 2), ("360102", 1),
]

HEALTH_NOTES = ["高血压，按时服药", "糖尿病，需控制饮食", "行动不便，使用助行器", "轻度认知障碍", "听力下降",
                "心脏病史，家中备有急救药", "腰椎间盘突出", "视力较差"]

# Needs: which sectors people of each age group ask about (weights).
SECTOR_WEIGHTS = {
    "minor": {"youth": 80, "mental": 6, "culture": 8, "health": 3, "disability": 3},
    "adult": {"employment": 22, "mediation": 16, "legal": 14, "hardship": 10, "mental": 10, "correction": 5,
              "drug_rehab": 3, "environment": 6, "emergency": 3, "health": 5, "culture": 3, "youth": 3},
    "elder": {"elderly": 70, "health": 8, "mental": 4, "legal": 4, "mediation": 4, "culture": 4,
              "emergency": 3, "hardship": 3},
}
PROFESSIONAL_SECTORS = {"mental", "correction", "drug_rehab", "mediation", "legal"}

# Skill a need (or a shift slot) in a part of the taxonomy asks for; the longest matching prefix wins.
SKILL_FOR = {
    "elderly": "elder_care", "elderly.meals": "cooking", "elderly.home_help.housekeeping": "cleaning",
    "elderly.home_help.haircut": "haircut", "elderly.home_help.escort": "driving",
    "elderly.health": "first_aid",
    "youth": "tutoring", "youth.holiday.reading": "arts", "disability": "elder_care",
    "disability.accessibility.sign_language": "sign_language", "hardship.housing": "repairs",
    "employment.skills.computer": "it_help", "employment.skills.cooking": "cooking", "mediation": "mediation",
    "correction": "psychological_support", "drug_rehab": "psychological_support",
    "mental": "psychological_support", "health.fitness": "fitness", "health.screening": "first_aid",
    "culture": "arts", "environment": "cleaning",
    "legal": "legal", "emergency.first_aid": "first_aid",
}

# What brings a need about, by category (sector as fallback), and what the resident asks for.
SITUATIONS = {
    "elderly.visits": ["独居，子女在外地工作", "老伴去年去世，平时很少出门", "年事已高，子女工作忙很少回家"],
    "elderly.meals": ["腿脚不便，买菜做饭困难", "独居，常常一顿饭吃两天", "患糖尿病，需要清淡饮食"],
    "elderly.daycare": ["白天家人上班，无人照看", "有轻度认知障碍，家属白天需要上班"],
    "elderly.home_help": ["年事已高，腿脚不便", "患慢性病，行动不便", "与老伴同住，两人均八十多岁"],
    "elderly.health": ["患高血压多年，常忘记吃药", "刚出院回家，需要定期测量血压"],
    "youth.after_school": ["父母双职工，放学后无人照看", "单亲家庭，功课跟不上", "随迁子女，刚转学到本区"],
    "youth.protection": ["父母在外地务工，由祖辈照看", "家庭变故后情绪不稳定"],
    "youth.holiday": ["暑假期间父母都要上班", "家长希望孩子多参加集体活动"],
    "youth.development": ["面临升学选择，比较迷茫", "性格内向，在学校朋友很少"],
    "disability": ["肢体残疾，坐轮椅", "听力残疾，与人沟通困难", "视力残疾，独自出行困难", "智力残疾，家属照护压力大"],
    "hardship": ["低保家庭，收入微薄", "因病致困，医疗支出大", "支出型贫困家庭，孩子还在上学"],
    "hardship.housing": ["住房老旧，屋顶漏水", "家中电线老化，门窗损坏"],
    "employment": ["失业半年，一直在找工作", "下岗后一直打零工", "全职妈妈，孩子上学后想重新就业"],
    "mediation.family": ["与子女在赡养问题上产生分歧", "家庭成员矛盾激化，多次向居委会求助"],
    "mediation.neighbor": ["与楼上邻居多次发生争执", "与邻居因公共空间使用产生矛盾"],
    "mediation.property": ["与物业公司有分歧", "对小区公共维修费用分摊有异议"],
    "correction": ["正在接受社区矫正", "社区矫正对象，家庭关系紧张"],
    "drug_rehab": ["社区康复人员，希望回归正常生活", "戒毒康复期，家属主动求助"],
    "mental": ["近期情绪低落，经常失眠", "家属反映其常独自哭泣", "精神障碍康复期，病情稳定"],
    "health.promotion": ["患高血压多年", "想了解慢病管理和饮食知识"],
    "health.fitness": ["退休后希望参加健身活动", "医生建议适量运动"],
    "health.screening": ["很久没有做过体检", "患高血压，需要定期测量"],
    "culture": ["退休后希望参加文体活动", "喜欢唱歌跳舞，想找同好", "平时很少出门，想多交朋友"],
    "environment": ["楼道堆物严重，存在安全隐患", "小区垃圾分类点无人值守", "楼下绿地杂草丛生"],
    "legal.consultation": ["遇到劳动报酬纠纷", "子女对遗产分配有争议", "网购商品质量问题维权未果"],
    "legal.documents": ["想立遗嘱，不知如何办理", "租房合同条款看不明白"],
    "legal.education": ["曾接到可疑诈骗电话", "希望了解老年人权益保护的法律知识"],
    "emergency.fire": ["家中电线老化", "楼道内有电动车充电，存在火灾隐患"],
    "emergency.first_aid": ["家中有心脏病老人，想学习急救知识", "担心家人突发疾病时不会处置"],
    "emergency.disaster": ["住在低洼地段，台风季节容易积水", "独居，不了解紧急避难场所"],
    "emergency.patrol": ["独居，担心突发疾病无人知晓", "小区夜间照明差，近期有电动车失窃"],
}
ASKS = {
    "mediation": "希望社区协助{sub}调解", "legal.consultation": "希望获得{sub}方面的法律帮助",
    "culture": "希望参加{sub}", "health.fitness": "希望参加{sub}", "employment": "希望参加{sub}",
}
# Age limits (inclusive) for parts of the taxonomy; the rest suits anyone.
AGE_LIMITS = {
    "youth.after_school": (6, 14), "youth.holiday": (3, 14), "youth.development": (12, 17),
    "youth.protection": (3, 17), "employment": (18, 59), "correction": (18, 90), "drug_rehab": (18, 90),
    "mediation": (18, 120), "legal": (18, 120), "health.fitness": (12, 85), "health.promotion": (15, 120),
    "culture.sports": (10, 85), "culture.arts": (5, 120), "mental": (10, 120),
}
FEEDBACK_COMMENTS = {
    5: ["志愿者很耐心，非常满意！", "服务很周到，谢谢社区。", "每次都准时上门，老人很开心。", ""],
    4: ["总体不错，希望时间能更灵活。", "服务挺好，就是预约等了几天。", ""],
    3: ["一般，沟通可以再多一些。", ""],
    2: ["来的时间和约定的不一样。"],
    1: ["没有解决问题。"],
}

# Volunteers: share holding each skill, by kind of person (long-tailed).
SKILL_SHARES = {
    "elder_care": (0.12, 0.20, 0.35), "cleaning": (0.10, 0.15, 0.18), "it_help": (0.25, 0.12, 0.03),
    "tutoring": (0.30, 0.10, 0.08), "arts": (0.12, 0.07, 0.14), "cooking": (0.02, 0.08, 0.20),
    "first_aid": (0.05, 0.10, 0.06), "driving": (0.0, 0.12, 0.04), "fitness": (0.06, 0.06, 0.05),
    "repairs": (0.01, 0.05, 0.07), "haircut": (0.0, 0.03, 0.06), "mediation": (0.0, 0.02, 0.06),
    "psychological_support": (0.01, 0.04, 0.02), "translation": (0.08, 0.03, 0.01),
    "sign_language": (0.02, 0.015, 0.01), "legal": (0.0, 0.025, 0.01),
}
VOLUNTEER_KINDS = (("student", 15), ("worker", 50), ("retiree", 35))
VOLUNTEER_AGES = {"student": (16, 22), "worker": (23, 59), "retiree": (60, 75)}
WEEKLY_MINUTES = {"student": (180, 240, 360), "worker": (240, 360, 480), "retiree": (600, 720, 900)}

# Organizations: the first twenty are fixed; more (at --scale > 1) are composed from these parts.
# (name, type, grade, status, founded year, sectors)
ORGANIZATIONS = [
    ("示范区阳光社会工作服务中心", OrgType.social_service_institution, 5, OrgStatus.active, 2011, ["elderly", "mental"]),
    ("滨江乐龄养老服务中心", OrgType.social_service_institution, 4, OrgStatus.active, 2014, ["elderly"]),
    ("新华启明青少年事务服务社", OrgType.social_service_institution, 4, OrgStatus.active, 2013, ["youth"]),
    ("示范区心桥心理咨询服务中心", OrgType.social_service_institution, 3, OrgStatus.active, 2016, ["mental"]),
    ("示范区同心助残服务社", OrgType.social_service_institution, 4, OrgStatus.active, 2012, ["disability"]),
    ("示范区志愿者协会", OrgType.social_group, 5, OrgStatus.active, 2008, ["culture", "emergency"]),
    ("示范区慈善基金会", OrgType.foundation, 4, OrgStatus.active, 2010, ["hardship"]),
    ("新华绿叶环保公益服务社", OrgType.social_service_institution, 3, OrgStatus.active, 2017, ["environment"]),
    ("示范区和谐人民调解服务中心", OrgType.social_service_institution, 2, OrgStatus.active, 2018, ["mediation"]),
    ("梧桐友邻社区服务中心", OrgType.social_service_institution, 0, OrgStatus.active, 2022, ["elderly", "culture"]),
    ("示范区新航社区矫正服务站", OrgType.social_service_institution, 3, OrgStatus.active, 2015,
     ["correction", "drug_rehab"]),
    ("滨江自强禁毒社会工作服务社", OrgType.social_service_institution, 3, OrgStatus.active, 2015, ["drug_rehab"]),
    ("示范区法律援助志愿服务队", OrgType.social_group, 2, OrgStatus.active, 2019, ["legal"]),
    ("春晖健康促进会", OrgType.social_group, 1, OrgStatus.active, 2020, ["health"]),
    ("示范区再就业培训服务中心", OrgType.social_service_institution, 3, OrgStatus.active, 2014, ["employment"]),
    ("滨江文体活动促进会", OrgType.social_group, 0, OrgStatus.active, 2021, ["culture"]),
    ("示范区安康应急救护服务社", OrgType.social_service_institution, 2, OrgStatus.active, 2019, ["emergency"]),
    ("翠竹邻里互助服务社", OrgType.social_service_institution, 0, OrgStatus.active, 2023, ["hardship", "elderly"]),
    ("示范区惠民家政服务社", OrgType.social_service_institution, 2, OrgStatus.blacklisted, 2016, ["elderly"]),
    ("青年社区益行公益服务中心", OrgType.social_service_institution, 0, OrgStatus.registered, 2026, ["youth"]),
]
ORG_PLACES = ["示范区", "梧桐", "滨江", "新华", "枫林", "望江", "海棠", "翠竹", "春晖", "临江", "幸福里"]
ORG_THEMES = ["阳光", "乐龄", "启明", "同心", "和谐", "爱心", "友邻", "馨家园", "向日葵", "益心", "善德", "青禾",
              "长青", "心桥", "绿叶", "暖阳", "知行", "致远", "睦邻", "康乐"]
ORG_KINDS = {
    "elderly": "养老服务中心", "youth": "青少年服务社", "disability": "助残服务社", "mental": "心理咨询服务中心",
    "hardship": "社区帮扶服务社", "employment": "就业服务中心", "mediation": "调解服务中心",
    "correction": "社区矫正服务社", "drug_rehab": "禁毒社会工作服务社", "health": "健康促进中心",
    "culture": "文化服务中心", "environment": "环保公益服务社", "legal": "法律服务中心", "emergency": "应急救护服务社",
}
BLACKLIST_REASON = "2025年项目审计发现虚报服务时长，列入失信名单，三年内不得参与政府购买服务。"


@dataclass
class _Demo:
    """Everything built so far, by the ids later steps refer to."""

    rng: random.Random
    scale: int
    now: datetime
    today: date
    password_hash: str
    categories: dict[str, Category] = field(default_factory=dict)
    categories_by_id: dict[int, Category] = field(default_factory=dict)
    skills: dict[str, Skill] = field(default_factory=dict)
    district: Optional[Region] = None
    streets: list[Region] = field(default_factory=list)
    communities: list[Region] = field(default_factory=list)
    grids: list[Region] = field(default_factory=list)
    grids_of: dict[int, list[Region]] = field(default_factory=dict)   # community id -> grids
    roads: dict[int, list[str]] = field(default_factory=dict)          # community id -> roads
    street_of: dict[int, int] = field(default_factory=dict)           # community id -> street id
    org_ids: list[int] = field(default_factory=list)
    org_rows: list[dict] = field(default_factory=list)
    users: dict[str, int] = field(default_factory=dict)               # demo username key -> user id
    logins: list[tuple[str, str]] = field(default_factory=list)
    staff_of: dict[int, int] = field(default_factory=dict)            # community id -> staff user id
    workers_of: dict[int, list[int]] = field(default_factory=dict)    # organization id -> social worker ids
    demo_worker_id: int = 0
    supervisor_id: int = 0
    residents: list[dict] = field(default_factory=list)               # rows with "id"
    demo_resident: Optional[dict] = None
    volunteers: list[dict] = field(default_factory=list)              # rows with "id", "_skills", "_street"
    demo_volunteer: Optional[dict] = None
    my_shifts: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # the demo volunteer's
    projects: dict[str, int] = field(default_factory=dict)            # key -> project id
    needs: list[dict] = field(default_factory=list)
    need_objects: list[Optional[Need]] = field(default_factory=list)
    active_workers: set[int] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)
    history: list[tuple[datetime, int, Callable[[], None]]] = field(default_factory=list)
    history_rng: random.Random = field(default_factory=random.Random)  # the ledgers from before the platform
    run_rng: random.Random = field(default_factory=random.Random)  # how the people a match run placed came

    def later(self, moment: datetime, step: Callable[[], None]) -> None:
        """Keep ``step`` of the district's history to run as of ``moment`` (see ``_write_history``)."""
        self.history.append((moment, len(self.history), step))

    def local(self, day_offset: int, hour: int, minute: int = 0) -> datetime:
        """A local wall-clock time ``day_offset`` days from today, as aware UTC."""
        day = self.today + timedelta(days=day_offset)
        return local_to_utc(datetime.combine(day, time(hour, minute)))

    def office_hours(self, moment: datetime) -> datetime:
        """``moment`` moved into the same local day's office hours (08:00–17:59), minutes kept."""
        local = moment.astimezone(LOCAL_TZ)
        hour = min(max(local.hour, 8), 17)
        return local.replace(hour=hour).astimezone(timezone.utc) if hour != local.hour else moment

    def days_ago(self, low: float, high: float) -> datetime:
        return self.now - timedelta(days=self.rng.uniform(low, high))


def _insert(model, rows: list[dict]) -> list[int]:
    """Bulk INSERT ORM rows; return their new ids in the order given."""
    if not rows:
        return []
    statement = sa.insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(db.session.execute(statement, rows).scalars())


def _columns(row: dict) -> dict:
    """A row without the builder's own ``_keys`` (kept alongside for later steps)."""
    return {key: value for key, value in row.items() if not key.startswith("_")}


def _insert_plain(table_or_model, rows: list[dict]) -> None:
    if rows:
        table = table_or_model
        statement = table.insert() if isinstance(table, sa.Table) else sa.insert(table)
        db.session.execute(statement, rows)


def _offset(center: tuple[float, float], north_km: float, east_km: float) -> tuple[float, float]:
    lat = center[0] + north_km / KM_PER_DEG_LAT
    lon = center[1] + east_km / (KM_PER_DEG_LAT * math.cos(math.radians(center[0])))
    return round(lat, 6), round(lon, 6)


def _near(rng: random.Random, center: tuple[float, float], sigma_km: float) -> tuple[float, float]:
    return _offset(center, rng.gauss(0.0, sigma_km), rng.gauss(0.0, sigma_km))


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()), k=1)[0]


def _birth_date(rng: random.Random, today: date, min_age: int, max_age: int) -> date:
    latest = today.replace(year=today.year - min_age) if not (today.month == 2 and today.day == 29) else \
        today.replace(year=today.year - min_age, day=28)
    return latest - timedelta(days=rng.randrange(0, (max_age - min_age) * 365 + 364))


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _by_prefix(table: dict, code: str):
    """The value for the longest key of ``table`` that is ``code`` or one of its ancestors."""
    parts = code.split(".")
    for length in range(len(parts), 0, -1):
        key = ".".join(parts[:length])
        if key in table:
            return table[key]
    return None


def _skill_for(code: str) -> Optional[str]:
    return _by_prefix(SKILL_FOR, code)


def _suits(code: str, age: int) -> bool:
    low, high = _by_prefix(AGE_LIMITS, code) or (0, 200)
    return low <= age <= high


# --- regions ---------------------------------------------------------------------------------------

def _build_regions(demo: _Demo) -> None:
    district = Region(level=RegionLevel.district, code=DISTRICT_CODE, name="示范区", name_en="Demo District",
                      latitude=CENTER[0], longitude=CENTER[1])
    db.session.add(district)
    db.session.flush()
    district.set_path()
    demo.district = district
    streets, communities, grids, roads = [], [], [], []
    for s_index, (s_name, s_en, s_offset, community_specs) in enumerate(STREETS, start=1):
        s_center = _offset(CENTER, *s_offset)
        street = Region(level=RegionLevel.street, parent=district, code=f"{DISTRICT_CODE}{s_index:03d}",
                        name=s_name, name_en=s_en, latitude=s_center[0], longitude=s_center[1])
        streets.append(street)
        for c_index, (c_name, c_en, c_offset, n_grids, c_roads) in enumerate(community_specs, start=1):
            c_center = _offset(s_center, *c_offset)
            community = Region(level=RegionLevel.community, parent=street, code=f"{street.code}{c_index:03d}",
                               name=c_name, name_en=c_en, latitude=c_center[0], longitude=c_center[1])
            communities.append(community)
            roads.append(c_roads)
            short = c_en.replace(" Community", "")
            for g_index in range(1, n_grids + 1):
                angle = 2 * math.pi * g_index / n_grids
                g_center = _offset(c_center, 0.3 * math.sin(angle), 0.3 * math.cos(angle))
                grids.append(Region(level=RegionLevel.grid, parent=community,
                                    code=f"{community.code}{g_index:03d}",
                                    name=f"{c_name}第{g_index}网格", name_en=f"{short} Grid {g_index}",
                                    latitude=g_center[0], longitude=g_center[1]))
    for level in (streets, communities, grids):
        db.session.add_all(level)
        db.session.flush()
        for region in level:
            region.set_path()
    db.session.flush()
    demo.streets, demo.communities, demo.grids = streets, communities, grids
    for community, c_roads in zip(communities, roads):
        demo.roads[community.id] = c_roads
        demo.street_of[community.id] = community.parent_id
        demo.grids_of[community.id] = [g for g in grids if g.parent_id == community.id]


def _grids_of(demo: _Demo, community_id: int) -> list[Region]:
    return demo.grids_of[community_id]


# --- organizations and accounts ------------------------------------------------------------------------

def _org_code(rng: random.Random) -> str:
    """A 9-character organization code (GB 11714) as used in positions 9-17 of credit codes."""
    body = "MJ" + "".join(rng.choice("0123456789") for _ in range(6))
    values = [int(ch) if ch.isdigit() else ord(ch) - 55 for ch in body]
    check = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2))) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def _credit_code(rng: random.Random, org_type: OrgType, division: str, taken: set[str]) -> str:
    while True:
        first17 = f"5{org_type.value}{division}{_org_code(rng)}"
        assert all(ch in CREDIT_CODE_ALPHABET for ch in first17)
        code = first17 + credit_code_check_char(first17)
        if code not in taken:
            taken.add(code)
            return code


def _org_specs(demo: _Demo) -> list[tuple]:
    rng = demo.rng
    specs = list(ORGANIZATIONS)
    used = {spec[0] for spec in specs}
    while len(specs) < 20 * demo.scale:
        sector = rng.choice(list(ORG_KINDS))
        name = rng.choice(ORG_PLACES) + rng.choice(ORG_THEMES) + ORG_KINDS[sector]
        if name in used:
            name = name.replace("中心", "站").replace("服务社", "工作室") if rng.random() < 0.5 else name
        if name in used:
            continue
        used.add(name)
        grade = _weighted(rng, {0: 25, 1: 5, 2: 15, 3: 30, 4: 20, 5: 5})
        org_type = OrgType.social_service_institution if rng.random() < 0.85 else OrgType.social_group
        specs.append((name, org_type, grade, OrgStatus.active, rng.randrange(2006, 2024), [sector]))
    return specs


def _build_organizations(demo: _Demo) -> None:
    rng, taken = demo.rng, set(db.session.scalars(sa.select(Organization.credit_code)))
    rows = []
    for index, (name, org_type, grade, status, founded_year, sectors) in enumerate(_org_specs(demo)):
        founded = date(founded_year, rng.randrange(1, 13), rng.randrange(1, 29))
        if founded > demo.today:
            founded = demo.today - timedelta(days=40)
        region = demo.streets[0] if index == 0 else (
            demo.district if org_type != OrgType.social_service_institution or rng.random() < 0.4
            else rng.choice(demo.streets))
        graded_from = max(founded.replace(year=founded.year + 2), demo.today - timedelta(days=4 * 365))
        awarded = None
        if grade:
            span = max(1, (demo.today - graded_from).days)
            awarded = graded_from + timedelta(days=rng.randrange(span)) if graded_from < demo.today else None
            if awarded is None:
                grade = 0
        division = "310000" if org_type == OrgType.foundation else DISTRICT_CODE
        street_name = region.name if region.level == RegionLevel.street else "示范区"
        rows.append({
            "name": name, "credit_code": _credit_code(rng, org_type, division, taken), "org_type": org_type,
            "grade": grade, "grade_awarded_on": awarded, "founded_on": founded, "status": status,
            "status_reason": BLACKLIST_REASON if status == OrgStatus.blacklisted else "",
            "region_id": region.id,
            "address": f"{street_name}{rng.choice(ORG_PLACES[1:])}路{rng.randrange(1, 900)}号",
            "contact_phone": f"021-{rng.randrange(5000_0000, 6999_9999)}",
            "description": f"{name}成立于{founded.year}年，专注于{'、'.join(demo.categories[s].name for s in sectors)}"
                           f"领域，承接政府购买服务项目。",
            "capacity": max(2, grade + rng.randrange(1, 4)),
            "verified_at": demo.days_ago(200, 1500) if status != OrgStatus.registered else None,
            "created_at": demo.days_ago(400, 2000) if status != OrgStatus.registered else demo.days_ago(2, 6),
            "_sectors": sectors,
        })
    # Registered first; civil affairs verify (and blacklist) them in the history (``_plan_organization_history``).
    demo.org_ids = _insert(Organization, [{**_columns(row), "status": OrgStatus.registered, "status_reason": "",
                                           "verified_at": None} for row in rows])
    links = []
    for org_id, row in zip(demo.org_ids, rows):
        row["id"] = org_id
        for sector in row["_sectors"]:
            links.append({"organization_id": org_id, "category_id": demo.categories[sector].id})
    _insert_plain(organization_categories, links)
    demo.org_rows = rows


def _free_usernames(wanted: list[str]) -> dict[str, str]:
    """Map each wanted username to itself, or to ``demo-<name>`` where an account already has it."""
    taken = {name.lower() for name in db.session.scalars(
        sa.select(User.username).where(sa.func.lower(User.username).in_([w.lower() for w in wanted])))}
    return {name: (f"demo-{name}" if name.lower() in taken else name) for name in wanted}


def _build_accounts(demo: _Demo) -> None:
    rng = demo.rng
    where = {"district": demo.district.id, "street": demo.streets[0].id, "community": demo.communities[0].id,
             "grid": _grids_of(demo, demo.communities[0].id)[0].id, "organization": demo.streets[0].id}
    rows, keys = [], []
    for username, label, role, place in DEMO_ACCOUNTS:
        rows.append({"username": username, "display_name": DEMO_DISPLAY_NAMES[username], "role": role,
                     "region_id": where[place] if place else None,
                     "organization_id": demo.org_ids[0] if place == "organization" else None})
        keys.append(username)
    # Staff of the other communities and streets, and an administrator for every organization.
    for index, community in enumerate(demo.communities[1:], start=2):
        rows.append({"username": f"community{index:02d}", "display_name": names.person_name(rng, "F", 1980),
                     "role": Role.community_staff, "region_id": community.id, "organization_id": None})
        keys.append(f"community:{community.id}")
    for index, street in enumerate(demo.streets[1:], start=2):
        rows.append({"username": f"street{index}", "display_name": names.person_name(rng, "M", 1975),
                     "role": Role.civil_affairs, "region_id": street.id, "organization_id": None})
        keys.append(f"street:{street.id}")
    for index, row in enumerate(demo.org_rows[1:], start=2):
        rows.append({"username": f"orgadmin{index:02d}",
                     "display_name": names.person_name(rng, rng.choice("MF"), 1980), "role": Role.org_admin,
                     "region_id": row["region_id"], "organization_id": row["id"]})
        keys.append(f"org:{row['id']}")
    usernames = _free_usernames([row["username"] for row in rows])
    for row in rows:
        row.update(username=usernames[row["username"]], password_hash=demo.password_hash,
                   status=AccountStatus.active, phone=names.mobile(rng), created_at=demo.days_ago(300, 900))
    ids = _insert(User, rows)
    demo.users = dict(zip(keys, ids))
    demo.logins = [(label, usernames[username]) for username, label, _, _ in DEMO_ACCOUNTS]
    demo.staff_of = {demo.communities[0].id: demo.users["community"]}
    for community in demo.communities[1:]:
        demo.staff_of[community.id] = demo.users[f"community:{community.id}"]
    demo.counts["users"] = len(ids)


def _build_social_workers(demo: _Demo) -> None:
    rng = demo.rng
    hiring = [row for row in demo.org_rows if row["status"] != OrgStatus.registered]
    weights = [1 + row["grade"] * 1.5 for row in hiring]
    owners = [hiring[0]] * 6 + rng.choices(hiring, weights=weights, k=60 * demo.scale - 6)
    rows = []
    for index, org in enumerate(owners):
        born = _birth_date(rng, demo.today, 23, 58)
        gender = "F" if rng.random() < 0.72 else "M"  # social work is mostly women in China
        level = WorkerLevel.social_worker if index == 0 else _weighted(
            rng, {WorkerLevel.assistant: 35, WorkerLevel.social_worker: 50, WorkerLevel.senior: 15})
        level = WorkerLevel.senior if index == 1 else level  # the demo supervisor of the demo worker
        prefix = "ZL" if level == WorkerLevel.assistant else "SW"
        certified = demo.today.year - rng.randrange(1, 12)
        drawn = names.person_name(rng, gender, born.year) if index else None  # drawn as before the demo logins
        name = DEMO_DISPLAY_NAMES[DEMO_WORKERS[index]] if index in DEMO_WORKERS else drawn
        rows.append({
            "organization_id": org["id"], "user_id": demo.users.get(DEMO_WORKERS.get(index, ""), None),
            "name": name,
            "level": level,
            "certificate_no": f"{prefix}{certified}31{rng.randrange(10**7):07d}",
            "caseload_limit": rng.choice((15, 20, 20, 25, 30)), "active": rng.random() > 0.03 or index <= 1,
            "created_at": demo.days_ago(100, 1500),
        })
    ids = _add_social_workers(demo, rows)
    for worker_id, row in zip(ids, rows):
        demo.workers_of.setdefault(row["organization_id"], []).append(worker_id)
        if row["active"]:
            demo.active_workers.add(worker_id)
    demo.demo_worker_id, demo.supervisor_id = ids[0], ids[1]
    demo.counts["social_workers"] = len(ids)


def _plan_organization_history(demo: _Demo) -> None:
    """Civil affairs of the district verified each organization (and blacklisted one after an audit),
    through the organizations service, as of the day it happened; the organization's admins were told."""
    civil = db.session.get(User, demo.users["civil"])
    for row in demo.org_rows:
        if row["verified_at"] is None:
            continue
        org = db.session.get(Organization, row["id"])
        demo.later(row["verified_at"], partial(org_services.verify_organization, org, actor=civil))
        if row["status"] == OrgStatus.blacklisted:
            demo.later(demo.now - timedelta(days=150),
                       partial(org_services.blacklist_organization, org, row["status_reason"], actor=civil))


def _add_social_workers(demo: _Demo, rows: list[dict]) -> list[int]:
    """Each organization's admin adds its social workers through the organizations service as of the day
    they joined; a few left later and were deactivated. Written at once with the organizations' history
    (projects' bid teams name the workers next; all of it lies before the needs' and shifts' history).
    Their ids, in the order of ``rows``."""
    admins = {row["id"]: demo.users[f"org:{row['id']}"] for row in demo.org_rows[1:]}
    admins[demo.org_rows[0]["id"]] = demo.users["orgadmin"]
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(admins.values())))}
    ids: list[int] = [0] * len(rows)
    left_before = demo.now - timedelta(days=95)

    def join(index: int) -> None:
        row = rows[index]
        worker = org_services.add_social_worker(
            db.session.get(Organization, row["organization_id"]), org_services.WorkerData(
                name=row["name"], level=row["level"], certificate_no=row["certificate_no"],
                caseload_limit=row["caseload_limit"]), actor=people[admins[row["organization_id"]]])
        worker.user_id = row["user_id"]  # the demo worker's log-in (demo accounts share one hash)
        ids[index] = worker.id

    def leave(index: int) -> None:
        org_services.set_social_worker_active(db.session.get(SocialWorker, ids[index]), False,
                                              actor=people[admins[rows[index]["organization_id"]]])

    for index, row in enumerate(rows):
        demo.later(row["created_at"], partial(join, index))
        if not row["active"]:
            demo.later(row["created_at"] + (left_before - row["created_at"]) / 2, partial(leave, index))
    _plan_organization_history(demo)
    _write_history(demo)
    return ids


# --- residents and volunteers -------------------------------------------------------------------------

def _resident_id(rng: random.Random, born: date, gender: str, taken: set[str]) -> str:
    while True:
        area = rng.choices([a for a, _ in AREA_CODES], weights=[w for _, w in AREA_CODES], k=1)[0]
        sequence = rng.randrange(0, 500) * 2 + (1 if gender == "M" else 0)
        first17 = f"{area}{born:%Y%m%d}{sequence:03d}"
        number = first17 + resident_id_check_char(first17)
        if number not in taken:
            taken.add(number)
            return number


def _build_residents(demo: _Demo) -> None:
    rng = demo.rng
    community_weights = [rng.uniform(0.6, 1.4) for _ in demo.communities]
    rows, tags, taken = [], [], set()
    total = 500 * demo.scale - IMPORTED_RESIDENTS   # the rest come in from the community's spreadsheet
    for index in range(total):
        if index == 0:  # the demo resident
            community, grid = demo.communities[0], _grids_of(demo, demo.communities[0].id)[0]
            born, gender, name = date(1946, 3, 8), "F", DEMO_DISPLAY_NAMES["resident"]
        else:
            community = rng.choices(demo.communities, weights=community_weights, k=1)[0]
            grid = rng.choice(_grids_of(demo, community.id))
            band = _weighted(rng, {(0, 17): 15, (18, 59): 30, (60, 74): 30, (75, 98): 25})
            born = _birth_date(rng, demo.today, *band)
            gender = "F" if rng.random() < (0.58 if band[0] >= 60 else 0.5) else "M"
            name = names.person_name(rng, gender, born.year)
        age = _age(born, demo.today)
        number = _resident_id(rng, born, gender, taken)
        lat, lon = _near(rng, (grid.latitude, grid.longitude), 0.15)
        resident_tags = set()
        if age < 18:
            resident_tags.add(VulnerableTag.minor)
        if index == 0 or (age >= 70 and rng.random() < 0.35) or (60 <= age < 70 and rng.random() < 0.10):
            resident_tags.add(VulnerableTag.elderly_alone)
        if rng.random() < (0.10 if age >= 60 else 0.04):
            resident_tags.add(VulnerableTag.disabled)
        if rng.random() < 0.05:
            resident_tags.add(VulnerableTag.special_hardship)
        created = demo.days_ago(10, 700)
        rows.append({
            "user_id": demo.users["resident"] if index == 0 else None, "name": name, "_gender": gender,
            "id_number_encrypted": encrypt(number), "id_number_index": blind_index(number),
            "health_notes_encrypted": (encrypt(rng.choice(HEALTH_NOTES))
                                       if age >= 60 and rng.random() < 0.3 else None),
            "phone": names.mobile(rng) if age >= 14 else None,
            "address": names.address(rng, demo.roads[community.id]), "region_id": grid.id,
            "latitude": lat, "longitude": lon, "consent_at": created,
            "created_by_id": demo.staff_of[community.id], "created_at": created,
            "_tags": resident_tags, "_age": age, "_community": community.id,
        })
    ids = _insert(Resident, [_columns(row) for row in rows])
    for resident_id, row in zip(ids, rows):
        row["id"] = resident_id
        tags.extend({"resident_id": resident_id, "tag": tag}
                    for tag in sorted(row["_tags"], key=lambda t: t.value))
    _insert_plain(ResidentTag, tags)
    demo.residents = rows
    demo.demo_resident = rows[0]
    demo.counts["residents"] = len(ids)


def _plan_registration_consents(demo: _Demo) -> None:
    """Each resident's consent to keeping their data, given when staff registered them, written as history
    (no earlier than the newest event already written, so the trail stays in time order)."""
    audit.append_pending()
    written = db.session.scalar(sa.select(sa.func.max(AuditEvent.at)))
    for row in demo.residents:
        moment = row["created_at"]
        demo.later(max(moment, written + timedelta(minutes=1)) if written else moment,
                   partial(_registration_consent, row["id"], row["created_by_id"]))


def _registration_consent(resident_id: int, staff_id: int) -> None:
    """The consent the resident gave the staff member who registered them, at the desk."""
    consents.record_at_registration(db.session.get(Resident, resident_id), actor=db.session.get(User, staff_id),
                                    channel=ConsentChannel.staff_in_person)


def _plan_consent_withdrawal(demo: _Demo) -> None:
    """A resident of the first community without needs calls their staff to withdraw consent to keeping
    their data; staff record it (no request of theirs can be filed until they consent again)."""
    with_needs = {row["resident_id"] for row in demo.needs}
    caller = next((r for r in demo.residents[1:] if r["_community"] == demo.communities[0].id
                   and r["id"] not in with_needs), None)
    if caller is None:
        return

    def withdraw() -> None:
        resident = db.session.get(Resident, caller["id"])
        consent = consents.current(resident, ConsentPurpose.personal_data)
        if consent is None:   # registered later on the trail than this call: nothing to withdraw yet
            return
        consents.withdraw(consent, actor=db.session.get(User, demo.staff_of[demo.communities[0].id]),
                          channel=ConsentChannel.by_phone)
    demo.later(demo.office_hours(demo.now - timedelta(days=3)), withdraw)


IMPORTED_RESIDENTS = 6


def _import_residents(demo: _Demo) -> None:
    """The community's staff bring in a few residents kept in a spreadsheet, through the import
    (preview, then all rows through the registration rule)."""
    from linkage import sheets
    from linkage.imports import services as imports

    rng, community = demo.rng, demo.communities[0]
    staff = db.session.get(User, demo.users["community"])
    rows = []
    for index in range(IMPORTED_RESIDENTS):
        gender = "F" if index % 2 else "M"
        born = _birth_date(rng, demo.today, 62, 90)
        first17 = f"110105{born:%Y%m%d}{index * 2 + (1 if gender == 'M' else 0):03d}"   # an area no other seeded resident has
        rows.append([names.person_name(rng, gender, born.year), first17 + resident_id_check_char(first17),
                     community.code, names.address(rng, demo.roads[community.id]), names.mobile(rng),
                     "", "", "是"])
    with force_locale("zh_CN"):
        imported = imports.import_residents(staff, "居民名册.csv", sheets.to_csv(imports.headers(), rows),
                                            actor=staff)
    demo.counts["residents"] += len(imported)


def _availability(rng: random.Random, kind: str) -> list[tuple[int, time, time]]:
    windows = []
    if kind == "retiree":
        for weekday in rng.sample(range(5), rng.randrange(2, 6)):
            part = rng.choice(("am", "pm", "day"))
            if part in ("am", "day"):
                windows.append((weekday, time(8, 30), time(11, 30)))
            if part in ("pm", "day"):
                windows.append((weekday, time(13, 30), time(16, 30)))
        if rng.random() < 0.3:
            windows.append((rng.choice((5, 6)), time(9), time(11, 30)))
    elif kind == "worker":
        for weekday in rng.sample(range(5), rng.randrange(0, 4)):
            windows.append((weekday, time(18, 30), time(21)))
        for weekday in rng.sample((5, 6), rng.randrange(1, 3)):
            windows.append((weekday, *rng.choice(((time(9), time(12)), (time(14), time(17, 30)),
                                                  (time(9), time(17)), (time(7), time(10))))))
    else:  # student
        if rng.random() < 0.4:
            windows.append((4, time(18, 30), time(21)))
        for weekday in (5, 6):
            if rng.random() < 0.8:
                windows.append((weekday, *rng.choice(((time(9), time(12)), (time(13), time(17)),
                                                      (time(9), time(17))))))
    return windows or [(5, time(9), time(12))]


def _build_volunteers(demo: _Demo) -> None:
    rng = demo.rng
    skill_codes = list(SKILL_SHARES)
    community_weights = [rng.uniform(0.6, 1.4) for _ in demo.communities]
    rows = []
    for index in range(800 * demo.scale):
        if index == 0:  # the demo volunteer
            community, kind, born, gender = demo.communities[0], "worker", date(1988, 6, 12), "F"
            name, held = DEMO_DISPLAY_NAMES["volunteer"], ["elder_care", "first_aid", "it_help"]
        else:
            community = rng.choices(demo.communities, weights=community_weights, k=1)[0]
            kind = _weighted(rng, dict(VOLUNTEER_KINDS))
            born = _birth_date(rng, demo.today, *VOLUNTEER_AGES[kind])
            gender = "F" if rng.random() < 0.6 else "M"
            name = names.person_name(rng, gender, born.year)
            column = {"student": 0, "worker": 1, "retiree": 2}[kind]
            held = [code for code in skill_codes if rng.random() < SKILL_SHARES[code][column]]
        lat, lon = _near(rng, (community.latitude, community.longitude), 0.5)
        status = VolunteerStatus.active if index == 0 else _weighted(
            rng, {VolunteerStatus.active: 95, VolunteerStatus.pending: 4, VolunteerStatus.suspended: 1})
        rows.append({
            "user_id": demo.users["volunteer"] if index == 0 else None, "name": name,
            "phone": names.mobile(rng), "status": status, "region_id": community.id,
            "latitude": lat, "longitude": lon,
            "max_travel_km": float(rng.choice((2, 3, 3, 5, 5, 5, 8))),
            "weekly_minutes_limit": rng.choice(WEEKLY_MINUTES[kind]),
            "created_at": demo.days_ago(5, 1000),
            "_kind": kind, "_skills": held, "_community": community.id, "_born": born, "_gender": gender,
            "_street": demo.street_of[community.id],
        })
    # The demo volunteer has served for over a year, up to the default ten hours a week.
    rows[0]["created_at"], rows[0]["weekly_minutes_limit"] = demo.now - timedelta(days=420), 600
    _real_names(demo, rows)
    ids = _insert(Volunteer, [_columns(row) for row in rows])
    skills, windows = [], []
    for volunteer_id, row in zip(ids, rows):
        row["id"] = volunteer_id
        skills.extend({"volunteer_id": volunteer_id, "skill_id": demo.skills[code].id}
                      for code in row["_skills"])
        kind = row["_kind"]
        if volunteer_id == ids[0]:  # the demo volunteer: three weekday evenings and the weekend
            slots = [(w, time(18, 30), time(21)) for w in (0, 2, 3)] + [(5, time(9), time(17)),
                                                                        (6, time(9), time(12))]
        else:
            slots = _availability(rng, kind)
        row["_windows"] = slots
        windows.extend({"volunteer_id": volunteer_id, "weekday": w, "start_time": start, "end_time": end}
                       for w, start, end in slots)
    _insert_plain(volunteer_skills, skills)
    _insert_plain(Availability, windows)
    demo.volunteers = rows
    demo.demo_volunteer = rows[0]
    demo.counts["volunteers"] = len(ids)
    _plan_consents(demo, rows)


def _real_names(demo: _Demo, rows: list[dict]) -> None:
    """Every volunteer's ID number (the birth date and gender drawn above), encrypted with its blind index.
    Two student volunteers of the first community are minors (15 and 16): the community staff's page shows
    one with a guardian's consent recorded and one waiting for it."""
    students = [row for row in rows[1:] if row["_community"] == demo.communities[0].id and row["_kind"] == "student"]
    for row, years, day in zip(students, (16, 15), (75, 200)):
        row["_born"] = demo.today - timedelta(days=int(years * 365.25) + day)
        row["status"] = VolunteerStatus.active
    if len(students) > 1:
        students[1]["_no_consent"] = True
    id_rng, taken = random.Random(7919 + demo.scale), set()
    for row in rows:
        number = _resident_id(id_rng, row["_born"], row["_gender"], taken)
        row["id_number_encrypted"], row["id_number_index"] = encrypt(number), blind_index(number)


CONSENT_FORM = b"%PDF-1.4\n% guardian consent form (demonstration)\n%%EOF\n"
RELATIONS = ("母亲", "父亲", "祖母", "外祖父")


def _plan_consents(demo: _Demo, rows: list[dict]) -> None:
    """Community staff record the guardian's consent of every minor volunteer a few days after they joined
    (all but one, whose consent the demo shows as missing)."""
    adult = int(settings.get("ADULT_AGE"))

    def record(row: dict) -> None:
        volunteer = db.session.get(Volunteer, row["id"])
        local = random.Random(row["id"])
        volunteer_services.record_consent(volunteer, volunteer_services.ConsentData(
            guardian_name=names.person_name(local, local.choice("MF"), row["_born"].year - 28),
            relation=local.choice(RELATIONS), phone=names.mobile(local), file_name="监护人同意书.pdf",
            content=CONSENT_FORM), actor=db.session.get(User, demo.staff_of[row["_community"]]), today=demo.today)

    audit.append_pending()  # history already written ends at the newest event: consents come after it
    written = db.session.scalar(sa.select(sa.func.max(AuditEvent.at)))
    for row in rows:
        if _age(row["_born"], demo.today) < adult and not row.get("_no_consent"):
            moment = demo.office_hours(min(row["created_at"] + timedelta(days=2), demo.now - timedelta(days=1)))
            demo.later(max(moment, written + timedelta(minutes=1)) if written else moment, partial(record, row))


# --- projects and bids ------------------------------------------------------------------------------------

def _build_projects(demo: _Demo) -> None:
    """A few projects, one in every interesting stage, with bids from organizations that may bid."""
    today, rng = demo.today, demo.rng
    o = [row["id"] for row in demo.org_rows]
    civil, street_staff = demo.users["civil"], demo.users["street"]
    d, s1, s2, s3 = demo.district.id, demo.streets[0].id, demo.streets[1].id, demo.streets[2].id
    # key, title, region, status, budget, service start/end (days from today), deadline (days), categories,
    # creator, targets (beneficiaries, hours), min grade, workers,
    # bids [(organization index, price, status, technical score)]
    specs = [
        ("draft", "2027年滨江街道困境儿童关爱服务项目", s2, ProjectStatus.draft, 180000, (60, 425), 30,
         ["youth.protection"], civil, (40, 1200), 0, 1, []),
        ("published", "示范区独居老人居家探访服务项目（2027年度）", d, ProjectStatus.published, 480000, (45, 410), 10,
         ["elderly.visits", "elderly.health"], civil, (300, 6000), 3, 3,
         [(0, 455000, BidStatus.submitted, None), (1, 438000, BidStatus.submitted, None)]),
        ("published_new", "新华街道四点半课堂服务项目", s3, ProjectStatus.published, 150000, (40, 300), 20,
         ["youth.after_school"], civil, (80, 1600), 0, 2, []),
        ("closed", "示范区社区心理健康服务项目", d, ProjectStatus.bidding_closed, 260000, (20, 385), -2,
         ["mental.counseling", "mental.crisis"], civil, (150, 2000), 3, 2,
         [(3, 248000, BidStatus.submitted, None), (0, 259000, BidStatus.submitted, None),
          (2, 236000, BidStatus.submitted, None)]),
        ("evaluated", "新华街道家庭与邻里调解服务项目", s3, ProjectStatus.evaluated, 200000, (25, 390), -8,
         ["mediation.family", "mediation.neighbor"], civil, (160, 1800), 0, 1,
         [(8, 188000, BidStatus.scored, 60.5), (0, 197000, BidStatus.scored, 54.0),
          (12, 176000, BidStatus.scored, 49.5)]),
        ("running", "梧桐街道为老助餐与探访服务项目", s1, ProjectStatus.in_progress, 360000, (-60, 305), -90,
         ["elderly.visits", "elderly.meals"], street_staff, (200, 4800), 3, 3,
         [(0, 342000, BidStatus.won, 62.5), (1, 318000, BidStatus.lost, 55.0),
          (8, 335000, BidStatus.disqualified, None)]),
        ("awarded", "滨江街道垃圾分类志愿督导项目", s2, ProjectStatus.awarded, 120000, (0, 365), -12,
         ["environment.waste"], civil, (2000, 3000), 0, 1,
         [(7, 112000, BidStatus.won, 58.0), (9, 99000, BidStatus.lost, 47.0)]),
        # Its whole contract lies after the organizations' history (written first, up to about -128 days).
        ("completed", "2026年示范区助残康复服务项目", d, ProjectStatus.completed, 300000, (-110, -35), -135,
         ["disability.rehab", "disability.family_support"], civil, (120, 2400), 3, 2,
         [(4, 286000, BidStatus.won, 63.0), (0, 298000, BidStatus.lost, 57.5)]),
    ]
    projects, bids = [], []
    for spec in specs:
        (_key, title, region_id, status, budget, (start, end), deadline, _categories, creator, targets, grade,
         workers, _offers) = spec
        created = demo.now - timedelta(days=max(5, -deadline + 25 if deadline < 0 else 12))
        published = None if status == ProjectStatus.draft else created + timedelta(days=2)
        projects.append({
            # The completed project ran its shifts first; the history completes it when its service ends.
            "title": title, "region_id": region_id, "budget": Decimal(budget),
            # The running and the completed projects are contracted, started and (the completed one)
            # evaluated by the history, through the contract services.
            "status": ProjectStatus.awarded if _key in ("running", "completed") else status,
            "description": f"{title}：面向辖区内有需要的居民，由社会组织派驻社工、组织志愿者提供专业服务。"
                           f"服务期内需完成服务对象{targets[0]}人、服务时长{targets[1]}小时。",
            "service_start": today + timedelta(days=start), "service_end": today + timedelta(days=end),
            "bidding_deadline": demo.local(deadline, 17), "price_weight": 0.30, "min_grade": grade,
            "min_years": 2 if grade else 0, "required_workers": workers,
            "required_worker_level": WorkerLevel.social_worker if grade >= 3 else WorkerLevel.assistant,
            "target_beneficiaries": targets[0], "target_hours": targets[1], "workload": workers,
            "target_visits": targets[1] // 40,
            "created_by_id": creator, "created_at": created, "published_at": published,
            "awarded_at": min(demo.local(deadline + 10, 10), demo.now - timedelta(days=1)) if status in (
                ProjectStatus.in_progress, ProjectStatus.awarded, ProjectStatus.completed) else None,
        })
    ids = _insert(Project, projects)
    links = []
    for project_id, spec, row in zip(ids, specs, projects):
        demo.projects[spec[0]] = project_id
        links.extend({"project_id": project_id, "category_id": demo.categories[code].id} for code in spec[7])
        offers = spec[12]
        valid = [price for _, price, status, _ in offers
                 if status not in (BidStatus.draft, BidStatus.disqualified)]
        for org_index, price, status, technical in offers:
            price_score = round(min(valid) / price * 0.30 * 100, 2) if technical is not None else None
            # The panel's 0–100 score counts 1 − price weight (see projects.services.technical_points).
            technical = round(technical * (1 - 0.30), 2) if technical is not None else None
            bids.append({
                "project_id": project_id, "organization_id": o[org_index], "status": status,
                "price": Decimal(price), "workload": row["workload"],
                "no_violation_declared": status != BidStatus.draft,
                "proposal": f"{demo.org_rows[org_index]['name']}服务方案：组建{row['required_workers']}人社工团队，"
                            f"联动社区志愿者，按月开展服务并提交进度报告。",
                "technical_score": technical, "price_score": price_score,
                "total_score": round(technical + price_score, 2) if technical is not None else None,
                "status_reason": "机构评估等级低于项目要求的3A。" if status == BidStatus.disqualified else "",
                "created_by_id": None, "created_at": row["created_at"] + timedelta(days=3),
                "submitted_at": None if status == BidStatus.draft else row["created_at"] + timedelta(days=4),
                "_team": row["required_workers"],
            })
    _insert_plain(project_categories, links)
    bid_ids = _insert(Bid, [_columns(bid) for bid in bids])
    team = []
    for bid_id, bid in zip(bid_ids, bids):
        workers = demo.workers_of.get(bid["organization_id"], [])
        chosen = workers[:bid["_team"]] if bid["organization_id"] == o[0] else rng.sample(
            workers, min(len(workers), bid["_team"]))
        team.extend({"bid_id": bid_id, "social_worker_id": w} for w in chosen)
    _insert_plain(bid_team, team)
    demo.counts["projects"] = len(ids)
    demo.counts["bids"] = len(bid_ids)


def _build_contract(demo: _Demo) -> None:
    """The running project's contract: drawn up by civil affairs after the award, signed by the organization's
    admin, its first installment paid; the service starts and the expert evaluator waits for the mid-term check."""
    project = db.session.get(Project, demo.projects["running"])
    civil, orgadmin, expert = (db.session.get(User, demo.users[key]) for key in ("civil", "orgadmin", "expert"))
    awarded = project.awarded_at
    state: dict = {}

    def draw_up() -> None:
        data = contract_services.default_data(project)
        state["contract"] = contract_services.create_contract(project, data, actor=civil)

    def pay_first() -> None:
        contract_services.record_payment(state["contract"].installments[0], actor=civil)

    signed = awarded + timedelta(days=settings.get("STANDSTILL_DAYS"), hours=2)  # once the standstill is over
    demo.later(awarded + timedelta(days=2), draw_up)
    demo.later(signed, lambda: contract_services.sign_contract(state["contract"], actor=orgadmin))
    demo.later(signed + timedelta(days=3), pay_first)
    demo.later(demo.local((project.service_start - demo.today).days, 9),
               lambda: project_services.mark_in_progress(project, actor=civil))
    demo.later(demo.local((project.service_start - demo.today).days + 10, 10),
               lambda: contract_services.assign_evaluator(state["contract"], expert, actor=civil))


def _build_completed_contract(demo: _Demo) -> None:
    """The completed project's contract, a whole purchase: signed after the standstill, the service started,
    a passed mid-term check half-way, the final evaluation a week after the service ended, every installment
    paid; the public page and the open contracting data show it finished."""
    project = db.session.get(Project, demo.projects["completed"])
    civil, expert = db.session.get(User, demo.users["civil"]), db.session.get(User, demo.users["expert"])
    orgadmin = db.session.get(User, demo.users[f"org:{demo.org_rows[4]['id']}"])
    start, end = ((day - demo.today).days for day in (project.service_start, project.service_end))
    state: dict = {}

    def draw_up() -> None:
        state["contract"] = contract_services.create_contract(project, contract_services.default_data(project),
                                                              actor=civil)

    def pay(milestone: Milestone):
        return lambda: contract_services.record_payment(
            next(i for i in state["contract"].installments if i.milestone == milestone), actor=civil)

    def evaluate(kind: EvaluationKind, score: float, note: str, comment: str):
        data = contract_services.EvaluationData(score=score, passed=True, financial_note=note, comment=comment)
        return lambda: contract_services.evaluate(state["contract"], kind, data, actor=expert)

    signed = project.awarded_at + timedelta(days=settings.get("STANDSTILL_DAYS"), hours=2)
    demo.later(project.awarded_at + timedelta(days=2), draw_up)
    demo.later(signed, lambda: contract_services.sign_contract(state["contract"], actor=orgadmin))
    demo.later(signed + timedelta(days=2), pay(Milestone.signing))
    demo.later(demo.local(start, 9), lambda: project_services.mark_in_progress(project, actor=civil))
    demo.later(demo.local(start + 7, 10),
               lambda: contract_services.assign_evaluator(state["contract"], expert, actor=civil))
    middle = (start + end) // 2
    demo.later(demo.local(middle, 15), evaluate(
        EvaluationKind.midterm, 82.0, "首期资金按预算使用，票据齐全。",
        "平台启用前的服务量以机构台账核实：康复训练按计划开展，家属反馈良好。"))
    demo.later(demo.local(middle + 6, 10), pay(Milestone.midterm))
    demo.later(demo.local(end + 7, 15), evaluate(
        EvaluationKind.final, 88.5, "资金使用合规，结余为零。",
        "平台只记录了服务最后两个月的活动；全年服务量经机构台账与入户抽查核实，目标基本完成。"))
    demo.later(demo.local(end + 14, 10), pay(Milestone.final))


# --- the expert panel and a complaint -------------------------------------------------------------------

# Four experts besides the demo account ``expert``: username, name.
PANEL_EXPERTS = [("expert2", "孙立新"), ("expert3", "高雅琴"), ("expert4", "何志远"), ("expert5", "林晓燕")]
# Their scores (plan, team, record, budget) of the closed project's three bids, in the order the bids came.
PANEL_SCORES = [
    [(85, 80, 75, 70), (78, 82, 80, 75), (70, 65, 72, 80)],
    [(90, 85, 80, 75), (72, 75, 70, 68), (68, 70, 66, 74)],
    [(80, 78, 82, 76), (75, 80, 78, 72), (74, 72, 70, 78)],
    [(60, 65, 62, 70), (88, 86, 90, 84), (55, 60, 58, 62)],
]


def _build_panels(demo: _Demo) -> None:
    """Default criteria on every project; on the closed project a panel of five experts of whom four have
    declared and scored (the demo ``expert`` declares and scores last, so the highest and the lowest totals
    are dropped); on the awarded project, still in its complaint window, the losing bidder's complaint."""
    for project in db.session.scalars(sa.select(Project).order_by(Project.id)):
        panels.ensure_criteria(project)
    usernames = _free_usernames([username for username, _ in PANEL_EXPERTS])
    experts = [User(username=usernames[username], display_name=name, role=Role.expert, region_id=demo.district.id,
                    status=AccountStatus.active, password_hash=demo.password_hash, phone=names.mobile(demo.rng),
                    created_at=demo.days_ago(300, 900)) for username, name in PANEL_EXPERTS]
    db.session.add_all(experts)
    db.session.flush()
    demo.counts["users"] += len(experts)
    civil = db.session.get(User, demo.users["civil"])
    closed = db.session.get(Project, demo.projects["closed"])
    demo.later(closed.bidding_deadline - timedelta(days=3), lambda: [
        panels.assign_expert(closed, expert, actor=civil)
        for expert in [db.session.get(User, demo.users["expert"]), *experts]])
    for index, (expert, scores) in enumerate(zip(experts, PANEL_SCORES)):
        demo.later(closed.bidding_deadline + timedelta(hours=16 + index),
                   partial(_expert_scores, closed, expert, scores))
    awarded = db.session.get(Project, demo.projects["awarded"])
    loser = db.session.scalar(sa.select(Bid).where(Bid.project_id == awarded.id, Bid.status == BidStatus.lost))
    if loser is not None and awarded.awarded_at is not None:
        admin = db.session.get(User, demo.users.get(f"org:{loser.organization_id}", demo.users["orgadmin"]))
        demo.later(awarded.awarded_at + timedelta(hours=20), lambda: standstill.file_complaint(
            awarded, loser.organization, "我方认为中标方的志愿督导人员配置不足，技术评分偏高，请复核评分。", actor=admin))


def _expert_scores(project: Project, expert: User, scores: list[tuple]) -> None:
    """One expert declares no conflict of interest and scores every criterion of every bid."""
    panels.declare(project, [], "", True, actor=expert)
    bids = sorted(queries.valid_bids(project), key=lambda bid: bid.id)
    values = {(bid.id, criterion.id): float(value) for bid, row in zip(bids, scores)
              for criterion, value in zip(project.criteria, row)}
    panels.enter_panel_scores(project, values, actor=expert)


# --- needs ----------------------------------------------------------------------------------------------

def _sub_categories(demo: _Demo) -> dict[str, list[Category]]:
    by_sector: dict[str, list[Category]] = {}
    for code, category in demo.categories.items():
        if category.level == 3:
            by_sector.setdefault(code.split(".")[0], []).append(category)
    for values in by_sector.values():
        values.sort(key=lambda c: c.code)
    return by_sector


def _honorific(resident: dict) -> str:
    surname = resident["name"][:2] if resident["name"][:2] in ("欧阳", "诸葛") else resident["name"][0]
    age, female = resident["_age"], resident["_gender"] == "F"
    if age < 18:
        return f"{surname}同学" if age >= 7 else f"{surname}小朋友"
    if age >= 75:
        return f"{surname}奶奶" if female else f"{surname}爷爷"
    if age >= 60:
        return f"{surname}阿姨" if female else f"{surname}老伯"
    return f"{surname}女士" if female else f"{surname}先生"


# Days between one step of a need and the next (verified, taken up, delivered, rated), by urgency: the desk
# answers a critical need within the day and finds someone for it fast; a routine one waits its turn.
STEP_DAYS = {4: (0.05, 1.2), 3: (0.2, 3.0), 2: (0.5, 5.0), 1: (0.5, 6.0)}


def _need_row(demo: _Demo, resident: dict, sub: Category, status: NeedStatus, urgency: int) -> dict:
    rng = demo.rng
    sector = sub.code.split(".")[0]
    created = demo.days_ago(0.2, 5) if status == NeedStatus.submitted else demo.days_ago(8, 90)
    stamps = {"verified_at": None, "matched_at": None, "delivered_at": None, "closed_at": None}
    order = ["verified_at", "matched_at", "delivered_at", "closed_at"]
    reached = {NeedStatus.submitted: 0, NeedStatus.rejected: 0, NeedStatus.withdrawn: 0, NeedStatus.open: 1,
               NeedStatus.expired: 1, NeedStatus.matched: 2, NeedStatus.in_service: 2,
               NeedStatus.delivered: 3, NeedStatus.closed: 4}[status]
    moment = created
    low, high = STEP_DAYS[urgency]
    for name in order[:reached]:
        before, moment = moment, moment + timedelta(days=rng.uniform(low, high))
        if name != "closed_at":  # staff steps happen in office hours; residents rate whenever they like
            moment = demo.office_hours(moment)
            if moment <= before:  # the evening's step waits for the next working day
                moment = demo.office_hours(moment + timedelta(days=1))
        moment = min(moment, demo.now - timedelta(hours=1))
        stamps[name] = moment
    recurrence = Recurrence.once
    if sector == "elderly" and sub.code.split(".")[1] in ("visits", "meals", "home_help", "health"):
        recurrence = _weighted(rng, {Recurrence.weekly: 55, Recurrence.biweekly: 15, Recurrence.monthly: 10,
                                     Recurrence.once: 20})
    elif sector in ("youth", "disability", "mental"):
        recurrence = _weighted(rng, {Recurrence.weekly: 40, Recurrence.once: 60})
    window_start = window_end = None
    if status in (NeedStatus.submitted, NeedStatus.open, NeedStatus.matched) and rng.random() < 0.6:
        day, hour = rng.randrange(1, 15), rng.choice((9, 10, 14, 15, 18))
        window_start = demo.local(day, hour)
        window_end = window_start + timedelta(hours=rng.choice((1, 2, 3)))
    creator = _weighted(rng, {"staff": 70, "grid": 20, "self": 10})
    # Community staff register most needs; the demo grid worker reports some on rounds in their grid.
    staff = demo.staff_of[resident["_community"]]
    in_demo_grid = resident["region_id"] == _grids_of(demo, demo.communities[0].id)[0].id
    created_by = {"staff": staff, "grid": demo.users["grid"] if in_demo_grid else staff,
                  "self": resident["user_id"] or staff}[creator]
    who = _honorific(resident)
    situation = rng.choice(_by_prefix(SITUATIONS, sub.code) or ["需要帮助"])
    service = sub.name if sub.name.endswith("服务") else f"{sub.name}服务"
    ask = (_by_prefix(ASKS, sub.code) or "希望提供{service}").format(sub=sub.name, service=service)
    return {
        "resident_id": resident["id"], "category_id": sub.id, "region_id": resident["region_id"],
        "title": f"{who}：{sub.name}", "description": f"{who}{situation}，{ask}。",
        "urgency": urgency, "status": status,
        "status_note": {NeedStatus.rejected: "经核实不属于本社区服务范围，已转介街道。",
                        NeedStatus.withdrawn: "居民表示家属已解决。"}.get(status, ""),
        "recurrence": recurrence, "window_start": window_start, "window_end": window_end,
        "latitude": resident["latitude"], "longitude": resident["longitude"],
        "needs_professional": sector in PROFESSIONAL_SECTORS and rng.random() < 0.6,
        "project_id": None, "case_worker_id": None, "created_by_id": created_by, "created_at": created,
        **stamps,
        "_sector": sector, "_skill": _skill_for(sub.code), "_community": resident["_community"],
    }


def _overdue_rows(demo: _Demo) -> list[dict]:
    """Three urgent needs of the demo community still waiting for its response: two past their target
    (flagged to the community) and one past the escalation period too (escalated to the street); the
    scheduled check (``linkage.needs.escalation``) finds them when the seed has written the history."""
    me = demo.demo_resident
    elders = [r for r in demo.residents if r["_community"] == demo.communities[0].id and r is not me
              and r["_age"] >= 60][:3]
    rows = []
    for resident, hours_ago in zip(elders, (30, 40, 80)):
        row = _need_row(demo, resident, demo.categories["elderly.visits.safety_check"], NeedStatus.submitted, 3)
        row["created_at"] = demo.now - timedelta(hours=hours_ago)
        rows.append(row)
    return rows


def _need_weight(resident: dict) -> float:
    """How likely a resident is to have a need: the old and the vulnerable more, babies hardly."""
    age = resident["_age"]
    weight = 4.0 if age >= 75 else 2.5 if age >= 60 else 0.1 if age < 3 else 1.2 if age < 18 else 1.0
    return weight * (1.8 if resident["_tags"] - {VulnerableTag.minor} else 1.0)


def _draw_need(rng: random.Random, by_sector: dict[str, list[Category]], resident: dict):
    """(sector code, sub-category) of a need ``resident`` might have; the sub-category is None when none of
    the sector's suits the resident's age."""
    group = "minor" if resident["_age"] < 18 else "elder" if resident["_age"] >= 60 else "adult"
    sector_weights = dict(SECTOR_WEIGHTS[group])
    if VulnerableTag.disabled in resident["_tags"]:
        sector_weights["disability"] = sector_weights.get("disability", 0) + 30
    if VulnerableTag.special_hardship in resident["_tags"]:
        sector_weights["hardship"] = sector_weights.get("hardship", 0) + 25
    sector = _weighted(rng, sector_weights)
    subs = [c for c in by_sector[sector] if _suits(c.code, resident["_age"])]
    return sector, (rng.choice(subs) if subs else None)


def _plan_paper_records(demo: _Demo) -> None:
    """The communities' ledgers of needs from before the platform (``linkage.seed.history``)."""
    by_sector = _sub_categories(demo)
    seed_history.plan(demo, partial(_draw_need, demo.history_rng, by_sector), _need_weight)


def _build_needs(demo: _Demo) -> None:
    rng = demo.rng
    by_sector = _sub_categories(demo)
    weights = [_need_weight(r) for r in demo.residents]
    cumulative = list(itertools.accumulate(weights))
    statuses = {NeedStatus.open: 57, NeedStatus.submitted: 12, NeedStatus.matched: 10,
                NeedStatus.in_service: 5, NeedStatus.delivered: 5, NeedStatus.closed: 8,
                NeedStatus.rejected: 1, NeedStatus.withdrawn: 1, NeedStatus.expired: 1}
    urgencies = {1: 45, 2: 35, 3: 10, 4: 10}
    rows = []
    # The demo resident's own needs, one at each stage a resident cares about.
    me = demo.demo_resident
    for code, status, urgency in (("elderly.visits.companionship", NeedStatus.open, 2),
                                  ("elderly.meals.delivery", NeedStatus.delivered, 2),
                                  ("elderly.home_help.haircut", NeedStatus.closed, 1),
                                  ("elderly.visits.safety_check", NeedStatus.submitted, 3)):
        row = _need_row(demo, me, demo.categories[code], status, urgency)
        row["created_by_id"] = demo.users["resident"]
        rows.append(row)
    rows.extend(_overdue_rows(demo))
    while len(rows) < 300 * demo.scale:
        resident = rng.choices(demo.residents, cum_weights=cumulative, k=1)[0]
        _sector, sub = _draw_need(rng, by_sector, resident)
        if sub is None:
            continue
        rows.append(_need_row(demo, resident, sub, _weighted(rng, statuses), _weighted(rng, urgencies)))
    _attach_needs_to_projects(demo, rows)
    demo.needs = rows
    _plan_need_histories(demo, rows)
    demo.counts["needs"] = len(rows)
    demo.counts["feedback"] = sum(row["status"] == NeedStatus.closed for row in rows)


# What the staff wrote when they turned a need down, and what the resident said when withdrawing it.
REJECT_REASON = "经核实不属于本社区服务范围，已转介街道。"
WITHDRAW_REASON = "居民表示家属已解决。"


def _need_steps(demo: _Demo, row: dict) -> list[tuple[datetime, str]]:
    """(moment, step) of one need's history, oldest first."""
    status, created = row["status"], row["created_at"]
    soon = min(created + timedelta(days=1), demo.now - timedelta(hours=1))
    steps = [(created, "submit")]
    if status == NeedStatus.rejected:
        steps.append((soon, "reject"))
    elif status == NeedStatus.withdrawn:
        steps.append((soon, "withdraw"))
    else:
        steps.extend((row[stamp], step) for stamp, step in (
            ("verified_at", "verify"), ("matched_at", "take_up"), ("delivered_at", "deliver"),
            ("closed_at", "rate")) if row[stamp] is not None)
    if status == NeedStatus.open and row["project_id"]:  # a draft or published project covers it
        steps.append((row["verified_at"], "take_up"))
    if status == NeedStatus.expired:
        steps.append((row["verified_at"], "expire"))
    return steps


def _plan_need_histories(demo: _Demo, rows: list[dict]) -> None:
    """Every need's history, to be written through the needs services as of each moment: reported by
    the resident, a grid worker or community staff; verified, rejected, delivered and rated by the
    community's staff (the resident rates their own). Matched, in service and expired are set by the
    seed itself, with the events the platform records for them (projects and case runs take needs up;
    nothing here runs them): every need taken up is matched first, then delivered and rated from there."""
    rng, me = demo.rng, demo.demo_resident
    for row in rows:
        if row["status"] == NeedStatus.closed:
            own = row["resident_id"] == me["id"]
            rating = 5 if own else _weighted(rng, {5: 60, 4: 25, 3: 10, 2: 4, 1: 1})
            row["_rating"] = rating
            row["_comment"] = "理发师傅手艺好，还陪我聊天。" if own else rng.choice(FEEDBACK_COMMENTS[rating])
    residents = {r.id: r for r in db.session.scalars(
        sa.select(Resident).where(Resident.id.in_({row["resident_id"] for row in rows})))}
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(
        {row["created_by_id"] for row in rows} | set(demo.staff_of.values()))))}
    demo.need_objects = [None] * len(rows)
    for index, row in enumerate(rows):
        for moment, step in _need_steps(demo, row):
            demo.later(moment, partial(_need_step, demo, index, step, residents, people))


def _need_step(demo: _Demo, index: int, step: str, residents, people) -> None:
    row, need = demo.needs[index], demo.need_objects[index]
    staff = people[demo.staff_of[row["_community"]]]
    if step == "submit":
        actor = people[row["created_by_id"]]
        # Every fourth need community staff register came in by phone (the hotline).
        by_phone = actor.role == Role.community_staff and index % 4 == 1
        demo.need_objects[index] = needs_services.submit_need(
            residents[row["resident_id"]], actor=people[row["created_by_id"]],
            category=demo.categories_by_id[row["category_id"]], title=row["title"], urgency=row["urgency"],
            description=row["description"], skills=[demo.skills[row["_skill"]]] if row["_skill"] else (),
            window_start=row["window_start"], window_end=row["window_end"], recurrence=row["recurrence"],
            needs_professional=row["needs_professional"], by_phone=by_phone,
            caller_phone=residents[row["resident_id"]].phone if by_phone else None, consent=True,
            data_consent=True)   # a request filed before the desk registered the resident gives it then
        row["id"] = demo.need_objects[index].id
    elif step == "verify":
        needs_services.verify_need(need, actor=staff)
    elif step == "reject":
        needs_services.reject_need(need, actor=staff, reason=REJECT_REASON)
    elif step == "withdraw":
        needs_services.withdraw_need(need, actor=need.resident.user or staff, reason=WITHDRAW_REASON)
    elif step == "take_up":
        _take_up(demo, need, row)
    elif step == "deliver":
        needs_services.confirm_delivered(need, actor=staff)
    elif step == "rate":
        rater = need.resident.user if row["resident_id"] == demo.demo_resident["id"] else staff
        needs_services.rate_need(need, actor=rater, rating=row["_rating"], comment=row["_comment"])
    elif step == "expire":
        needs_services.expire_need(need, reason=escalation.EXPIRY_NOTE)


def _take_up(demo: _Demo, need: Need, row: dict) -> None:
    """A project or a social worker's case takes the need up. Awards and match runs do this on the
    platform; the seed runs neither for these needs, so it records the same events they record
    (``need.match`` by the district's civil affairs for a project, ``need.assign_case`` for a case), so the
    trail reaches the need's status. Every need taken up is matched then (in service, for those still
    being served); those delivered later are confirmed from there by the needs service."""
    before = audit.snapshot(need, "status", "case_worker_id")
    need.project_id, need.case_worker_id = row["project_id"], row["case_worker_id"]
    if row["matched_at"] is not None:
        status = NeedStatus.in_service if row["status"] == NeedStatus.in_service else NeedStatus.matched
        need.status, need.matched_at = status, row["matched_at"]
    if audit.snapshot(need, "status", "case_worker_id") == before:
        return  # a draft or published project covers it: nothing changed on the need yet
    civil = db.session.get(User, demo.users["civil"])
    if need.case_worker_id is not None:
        audit.record(civil, "need.assign_case", need, before=before,
                     after=audit.snapshot(need, "status", "case_worker_id"))
    else:
        audit.record(civil, "need.match", need, before={"status": before["status"]},
                     after=audit.snapshot(need, "status"), note=need.project.title if need.project else "")


def _attach_needs_to_projects(demo: _Demo, rows: list[dict]) -> None:
    """Needs being served belong to the running projects of their sector and street; cases get a worker."""
    rng = demo.rng
    street1, street2 = demo.streets[0].id, demo.streets[1].id
    running_org_workers = demo.workers_of[demo.org_rows[0]["id"]]
    served = (NeedStatus.matched, NeedStatus.in_service, NeedStatus.delivered, NeedStatus.closed)
    all_workers = [w for workers in demo.workers_of.values() for w in workers]
    for row in rows:
        street = demo.street_of[row["_community"]]
        code = demo.categories_by_id[row["category_id"]].code
        if row["status"] in served:
            if code.startswith(("elderly.visits", "elderly.meals")) and street == street1:
                row["project_id"] = demo.projects["running"]
            elif code.startswith("environment.waste") and street == street2:
                row["project_id"] = demo.projects["awarded"]
            elif code.startswith(("disability.rehab", "disability.family_support")) and row["status"] in (
                    NeedStatus.delivered, NeedStatus.closed):
                row["project_id"] = demo.projects["completed"]
            # A delivered service was delivered by someone: a project, else a social worker's case.
            if row["needs_professional"] or (row["project_id"] is None and row["status"] in (
                    NeedStatus.delivered, NeedStatus.closed)):
                pool = running_org_workers if row["project_id"] == demo.projects["running"] else all_workers
                row["case_worker_id"] = rng.choice(pool)
        elif row["status"] == NeedStatus.open and code.startswith("elderly.visits") and rng.random() < 0.3:
            row["project_id"] = demo.projects["published"]  # the needs the open call for bids covers


# --- shifts ----------------------------------------------------------------------------------------------

SHIFT_PLANS = [
    # (project key or None, title, category code of the needs served, skill slots, hours, local start hours)
    ("running", "独居老人陪伴探访", "elderly.visits", [("elder_care", 2), (None, 2)], 2, (9, 14, 18)),
    ("running", "长者食堂助餐服务", "elderly.meals", [("cooking", 1), (None, 3)], 2, (10, 11)),
    ("awarded", "垃圾分类定时定点值守", "environment.waste", [(None, 4)], 2, (7, 18)),
    (None, "四点半课堂志愿辅导", "youth.after_school", [("tutoring", 3), (None, 1)], 2, (16,)),
    (None, "智能手机使用教学", "elderly", [("it_help", 2), (None, 2)], 2, (9, 14)),
    (None, "社区义诊与血压测量", "health.screening", [("first_aid", 1), (None, 3)], 3, (9,)),
    (None, "楼道堆物清理", "environment.cleanup", [("cleaning", 2), (None, 4)], 3, (9, 14)),
    (None, "夜间平安巡逻", "emergency.patrol", [(None, 4)], 2, (19,)),
]
REHAB_PLAN = ("completed", "助残康复陪伴训练", "disability.rehab", [("elder_care", 2), (None, 2)], 2, (9, 14))
# Activities that may endanger safety: volunteers need accident insurance (recorded on the shift).
INSURED = {"夜间平安巡逻", "楼道堆物清理"}
PLACES = ["社区党群服务中心", "社区睦邻点", "长者照护之家", "小区垃圾分类点", "社区文化活动室", "居民家中（上门）"]


def _upcoming_plans(demo: _Demo, street_communities, org0_workers, org7_workers) -> list[tuple]:
    """(shift plan, community, day from today, lead social worker, project) for the coming week."""
    rng, plans, first = demo.rng, [], demo.communities[0]
    for day in range(1, 8):
        # The running project works in the first street every day; the demo worker leads most shifts there.
        for index, plan in enumerate(SHIFT_PLANS[:2]):
            if day % 2 == index % 2 or day in (1, 2):
                community = first if day <= 3 else rng.choice(street_communities[demo.streets[0].id])
                mine = community.id == first.id or rng.random() < 0.5
                lead = demo.demo_worker_id if mine else rng.choice(org0_workers)
                plans.append((plan, community, day, lead, demo.projects["running"]))
        if day in (1, 3, 5, 6):
            plans.append((SHIFT_PLANS[2], rng.choice(street_communities[demo.streets[1].id]), day,
                          rng.choice(org7_workers), demo.projects["awarded"]))
        for plan in SHIFT_PLANS[3:]:
            if rng.random() < 0.35:
                plans.append((plan, rng.choice(demo.communities), day, None, None))
    return plans


def _past_plans(demo: _Demo, street_communities, org0_workers, org4_workers) -> list[tuple]:
    """The same for the past weeks, whose hours are recorded."""
    rng, past, first = demo.rng, [], demo.communities[0]
    for day in range(-14, 0):
        if day % 3 == 0:
            past.append((SHIFT_PLANS[0], first, day, demo.demo_worker_id, demo.projects["running"]))
        if day % 4 == 0:
            past.append((SHIFT_PLANS[1], rng.choice(street_communities[demo.streets[0].id]), day,
                         rng.choice(org0_workers), demo.projects["running"]))
    for day in range(-80, -35, 7):  # the completed disability project's last weeks
        past.append((REHAB_PLAN, rng.choice(demo.communities), day, rng.choice(org4_workers),
                     demo.projects["completed"]))
    return past


def _build_shifts(demo: _Demo) -> None:
    """Shifts for the coming week (some full, with a waiting list) and past ones with recorded hours,
    each created, signed up for, run and closed through the shift services as of the moment it happened."""
    rng = demo.rng

    def leads(org_row: dict) -> list[int]:  # only active social workers lead shifts
        return [w for w in demo.workers_of.get(org_row["id"], []) if w in demo.active_workers]

    org0_workers = leads(demo.org_rows[0])
    org7_workers, org4_workers = leads(demo.org_rows[7]) or org0_workers, leads(demo.org_rows[4]) or org0_workers
    street_communities = {street.id: [c for c in demo.communities if c.parent_id == street.id]
                          for street in demo.streets}
    # The organization admin who runs each project's shifts (the winners of the projects below).
    runners = {demo.projects["running"]: demo.users["orgadmin"],
               demo.projects["awarded"]: demo.users[f"org:{demo.org_rows[7]['id']}"],
               demo.projects["completed"]: demo.users[f"org:{demo.org_rows[4]['id']}"]}
    plans = _upcoming_plans(demo, street_communities, org0_workers, org7_workers)
    past = _past_plans(demo, street_communities, org0_workers, org4_workers)

    rows, meta = [], []
    for is_past, batch in ((False, plans), (True, past)):
        for plan, community, day, lead, project_id in batch:
            if plan[0] is None:
                creator = demo.staff_of[community.id]
            elif lead == demo.demo_worker_id:
                creator = demo.users["worker"]
            else:
                creator = runners[project_id]
            rows.append(_shift_row(demo, rng, plan, community, day, lead, project_id, creator))
            meta.append({"past": is_past, "community": community.id, "code": plan[2], "project_id": project_id,
                         "street": demo.street_of[community.id], "full": not is_past and rng.random() < 0.2})
    # The first shift (the demo worker's, in the demo volunteer's community) is full; the demo
    # volunteer waits on its list.
    meta[0]["full"] = True
    shifts: list[Optional[Shift]] = [None] * len(rows)
    for index, row in enumerate(rows):
        demo.later(row["created_at"], partial(_create_shift, demo, shifts, index, row, meta[index]))
    _plan_sign_ups(demo, shifts, rows, meta, by_run=_plan_match_run(demo, shifts, rows, meta))
    # The completed project ran until its service ended (the seed's part: no service completes a project).
    completed = demo.projects["completed"]
    demo.later(local_to_utc(datetime.combine(_project_end(completed), time(18))),
               partial(_complete_project, completed))
    demo.counts["shifts"] = demo.counts.get("shifts", 0) + len(rows)


def _shift_row(demo: _Demo, rng: random.Random, plan: tuple, community: Region, day: int, lead: Optional[int],
               project_id: Optional[int], creator: int) -> dict:
    """One shift of a plan (see ``SHIFT_PLANS``) in ``community``, ``day`` days from today, as created."""
    key, title, _code, slots, hours, starts = plan
    start = demo.local(day, rng.choice(starts), rng.choice((0, 0, 30)))
    lat, lon = _near(rng, (community.latitude, community.longitude), 0.2)
    return {
        "title": f"{community.name}·{title}", "project_id": project_id, "community": community,
        "description": f"{title}。请提前10分钟到达，签到后由带队社工分配任务。", "lead_id": lead,
        "start": start, "end": start + timedelta(hours=hours),
        "place": f"{community.name}{rng.choice(PLACES)}",
        "latitude": lat, "longitude": lon, "urgency": _weighted(rng, {1: 30, 2: 45, 3: 15, 4: 10}),
        "min_volunteers": max(1, sum(n for _, n in slots) // 2), "slots": slots,
        "first_come": key != "awarded" or day % 2 == 1,
        "requires_insurance": title in INSURED,
        "insurance_note": "已为参与志愿者投保志愿服务意外险" if title in INSURED else "",
        "created_by_id": creator, "created_at": demo.now - timedelta(days=max(3, -day + 7)),
    }


SERIES_TITLE = "每周探访独居老人"


def _build_series(demo: _Demo) -> None:
    """Community staff of the demo volunteer's community made a weekly series two days ago: elderly visits
    every Tuesday for six weeks from next Tuesday, the third Tuesday left out (the community hall is booked)."""
    community = demo.communities[0]
    first = demo.today + timedelta(days=(2 - demo.today.isoweekday()) % 7 or 7)
    start = local_to_utc(datetime.combine(first, time(9, 30)))

    def create() -> None:
        data = shift_services.ShiftData(
            title=f"{community.name}·{SERIES_TITLE}", community=community, place=f"{community.name}社区活动中心",
            start=start, end=start + timedelta(hours=2), min_volunteers=2, slots=[(None, 6)],
            description="两人一组上门探访独居老人：聊天、查看居家安全、记录需要跟进的情况。",
            latitude=community.latitude, longitude=community.longitude)
        pattern = shift_series.WeeklyPattern(weekdays=[2], first_date=first, weeks=6,
                                             skipped=[first + timedelta(days=14)])
        shift_series.create_series(data, pattern, project=None, actor=db.session.get(User, demo.users["community"]))

    demo.later(demo.now - timedelta(days=2), create)
    demo.counts["shifts"] = demo.counts.get("shifts", 0) + 5


def _project_end(project_id: int) -> date:
    return db.session.get(Project, project_id).service_end


def _complete_project(project_id: int) -> None:
    db.session.get(Project, project_id).status = ProjectStatus.completed


def _create_shift(demo: _Demo, shifts: list, index: int, row: dict, m: dict) -> None:
    project = db.session.get(Project, row["project_id"]) if row["project_id"] else None
    data = shift_services.ShiftData(
        title=row["title"], community=row["community"], place=row["place"], start=row["start"], end=row["end"],
        min_volunteers=row["min_volunteers"],
        slots=[(demo.skills[skill] if skill else None, count) for skill, count in row["slots"]],
        description=row["description"], latitude=row["latitude"], longitude=row["longitude"],
        urgency=row["urgency"], lead=db.session.get(SocialWorker, row["lead_id"]) if row["lead_id"] else None,
        first_come=row["first_come"], requires_insurance=row["requires_insurance"],
        insurance_note=row["insurance_note"], needs=[] if m["past"] else _needs_served(demo, row, m))
    shifts[index] = shift_services.create_shift(data, project=project, actor=db.session.get(User, row["created_by_id"]))


def _needs_served(demo: _Demo, row: dict, m: dict) -> list[Need]:
    """Visits and meals shifts serve up to three needs of their community and project in the same part of
    the taxonomy, taken up before the shift was planned and still being served (not delivered by now)."""
    served = []
    for index, need in enumerate(demo.needs):
        taken = demo.need_objects[index]
        code = demo.categories_by_id[need["category_id"]].code
        if (taken is not None and taken.status in (NeedStatus.matched, NeedStatus.in_service)
                and need["status"] in (NeedStatus.matched, NeedStatus.in_service)
                and taken.project_id is not None and taken.project_id == row["project_id"]
                and need["_community"] == m["community"] and ".".join(code.split(".")[:2]) == m["code"]):
            served.append(taken)
    return served[:3]


# A past volunteer match run: how long the optimizer may take on it (its week holds a few shifts).
MATCH_RUN_SECONDS = 3.0


def _plan_match_run(demo: _Demo, shifts: list, rows: list[dict], meta: list[dict]) -> set[int]:
    """A street office planned a past week with a volunteer match run: the completed project's shift there
    and the communities' own activities of that week. Its civil affairs staff started the run three days
    before the project's shift, the optimizer proposed places (first come, first served on the same problem
    beside it) and they approved it that afternoon; those it placed then came, or did not, like everyone
    else. Returns the shifts of ``rows`` the run staffs: none when no such week lies outside the demo
    volunteer's street (the street the demo's own pages and walkthrough use)."""
    chosen = [index for index, (row, m) in enumerate(zip(rows, meta))
              if m["past"] and row["project_id"] == demo.projects["completed"] and m["street"] != demo.streets[0].id
              and row["start"] > demo.now - timedelta(days=75)]
    if not chosen:
        return set()
    index, rng = chosen[-1], demo.run_rng
    street = next(s for s in demo.streets if s.id == meta[index]["street"])
    staff = demo.users[f"street:{street.id}"]
    started = demo.office_hours(rows[index]["start"] - timedelta(days=3)).replace(second=0, microsecond=0)
    approved = started + timedelta(hours=3)
    day = rows[index]["start"].astimezone(LOCAL_TZ).date()
    monday = day - timedelta(days=day.weekday())
    days = [(d - demo.today).days for d in (monday + timedelta(days=n) for n in range(7))
            if d > approved.astimezone(LOCAL_TZ).date()]
    own: list[Optional[Shift]] = [None] * len(SHIFT_PLANS[3:])
    week = [(shifts, index, rows[index])]
    for number, plan in enumerate(SHIFT_PLANS[3:]):
        community = rng.choice([c for c in demo.communities if c.parent_id == street.id])
        row = _shift_row(demo, rng, plan, community, rng.choice(days), None, None, demo.staff_of[community.id])
        row["created_at"] = demo.office_hours(started - timedelta(days=rng.uniform(2, 5)))
        demo.later(row["created_at"], partial(_create_shift, demo, own, number, row, {"past": True}))
        week.append((own, number, row))
    run: list[MatchRun] = []
    places_of = [[None] * sum(count for _skill, count in row["slots"]) for _list, _number, row in week]

    def create() -> None:
        begin = local_to_utc(datetime.combine(monday, time.min))
        run.append(matching_services.create_run(MatchKind.shifts, street, actor=db.session.get(User, staff),
                                                period_start=begin, period_end=begin + timedelta(days=7),
                                                time_limit=MATCH_RUN_SECONDS))

    def approve() -> None:
        matching_services.approve_run(run[0], actor=db.session.get(User, staff), note="按优化方案安排志愿者。")
        for (held, number, _row), records in zip(week, places_of):
            placed = db.session.scalars(sa.select(SignUp).where(SignUp.shift_id == held[number].id)
                                        .order_by(SignUp.id)).all()
            records[:len(placed)] = placed

    demo.later(started, create)
    demo.later(started + timedelta(minutes=1), lambda: matching_services.solve_here(run[0]))
    demo.later(approved, approve)
    for (held, number, row), records in zip(week, places_of):
        confirmed = []
        for slot in range(len(records)):
            attendance = _attendance(demo, row, {"past": True}, False, rng=rng)
            _plan_attendance(demo, row, records, slot, attendance)
            if attendance.get("approve"):
                confirmed.append(slot)
        _plan_closing(demo, held, number, row, records, confirmed)
    demo.counts["shifts"] = demo.counts.get("shifts", 0) + len(own)
    demo.counts["match_runs"] = 1
    return {index}


def _plan_sign_ups(demo: _Demo, shifts: list, rows: list[dict], meta: list[dict], by_run: set[int]) -> None:
    """Who signs up for each shift, when, and (past shifts) how it went. Staff sign up volunteers without
    an account; when the eligibility rule refuses one, they ask the next who fits. A match run places the
    volunteers of the shifts in ``by_run`` instead (drawn all the same, so the other shifts stay as they were)."""
    rng = demo.rng
    active = [v for v in demo.volunteers if v["status"] == VolunteerStatus.active]
    by_street: dict[int, list[dict]] = {}
    for volunteer in active:
        by_street.setdefault(volunteer["_street"], []).append(volunteer)
    me = demo.demo_volunteer
    loaded = {v.id: v for v in db.session.scalars(  # with their skills: the rule reads them at each sign-up
        sa.select(Volunteer).where(Volunteer.status == VolunteerStatus.active).options(
            selectinload(Volunteer.skills), selectinload(Volunteer.exceptions), selectinload(Volunteer.consents)))}
    home = [i for i, m in enumerate(meta)
            if m["community"] == demo.communities[0].id and m["project_id"] == demo.projects["running"]]
    mine = {i for i in home if not meta[i]["past"]}
    mine = set(sorted(mine)[:3]) | set([i for i in home if meta[i]["past"]][:4])
    signed: dict[int, set[int]] = {}
    for index, (row, m) in enumerate(zip(rows, meta)):
        # The demo volunteer is placed only where planned below, never drawn at random.
        pool = [v for v in by_street.get(m["street"], active) if v is not me]
        rng.shuffle(pool)
        used, placed_me, moment, all_filled = set(), False, row["created_at"], True
        entries = []
        for skill, count in row["slots"]:
            wanted = count if (m["past"] or m["full"]) else rng.randrange(0, count + 1)
            candidates = [v for v in pool if v["id"] not in used and (skill is None or skill in v["_skills"])]
            if not m["past"]:  # people sign up for what fits the times they gave as free, when they can
                candidates.sort(key=lambda v: not _free_for(v, row["start"], row["end"]))
            if index in mine and not placed_me and index != 0 and (skill is None or skill in me["_skills"]):
                candidates = [me] + candidates
                wanted = max(wanted, 1)
                placed_me = True
                demo.my_shifts.setdefault("past" if m["past"] else "assigned", (row["title"], row["start"]))
            all_filled = all_filled and len(candidates) >= wanted == count
            for position in range(min(wanted, len(candidates))):
                used.add(candidates[position]["id"])
                moment += timedelta(minutes=rng.randrange(5, 600))
                own = candidates[position] is me
                entries.append((min(moment, row["start"] - timedelta(hours=1), demo.now),
                                [me] if own else candidates[position:], _attendance(demo, row, m, own)))
        if not m["past"] and m["full"] and all_filled:
            waiting = [v for v in pool if v["id"] not in used][:rng.randrange(1, 4)]
            if index == 0:
                waiting = [me] + waiting
                demo.my_shifts["waitlisted"] = (row["title"], row["start"])
            for volunteer in waiting:
                used.add(volunteer["id"])
                moment += timedelta(minutes=rng.randrange(5, 120))
                entries.append((min(moment, demo.now), [volunteer], None))
        if index in by_run:
            continue
        records: list[Optional[SignUp]] = [None] * len(entries)
        for slot, (when, candidates, attendance) in enumerate(entries):
            demo.later(when, partial(_sign_up_step, demo, shifts, index, signed.setdefault(index, set()),
                                     [loaded[c["id"]] for c in candidates], records, slot))
            if attendance is not None:
                _plan_attendance(demo, row, records, slot, attendance)
        if index == 0 and demo.my_shifts.get("waitlisted") == (row["title"], row["start"]):
            # Someone with a place gives it up: the place is offered to the demo volunteer, first in line.
            # (Before what the seed writes last, an hour before its "now".)
            demo.later(demo.now - timedelta(hours=1, minutes=1), partial(_give_up_step, demo, records, me["id"]))
        if m["past"]:
            confirmed = [slot for slot, entry in enumerate(entries) if entry[2] and entry[2].get("approve")]
            _plan_closing(demo, shifts, index, row, records, confirmed)


def _attendance(demo: _Demo, row: dict, m: dict, own: bool, rng: Optional[random.Random] = None) -> Optional[dict]:
    """How a past shift went for one volunteer: absent, or checked in and out (or not out: defaulted)."""
    if not m["past"]:
        return None
    rng = rng or demo.rng
    if not own and rng.random() < 0.05:
        return {"absent": True}
    checked_in = row["start"] + timedelta(minutes=rng.randrange(-10, 15))
    defaulted = not own and rng.random() < 0.06
    checked_out = None if defaulted else row["end"] + timedelta(minutes=rng.randrange(-15, 10))
    recent = row["start"] > demo.now - timedelta(days=4)
    # The lead of the running project has not yet confirmed the last few days' hours.
    unconfirmed = (recent or defaulted) and row["project_id"] == demo.projects["running"]
    return {"absent": False, "in": checked_in, "out": checked_out, "approve": not unconfirmed}


def _sign_up_step(demo: _Demo, shifts: list, index: int, signed: set[int], candidates: list[Volunteer],
                  records: list, slot: int) -> None:
    """Sign up the first candidate the rule lets hold a place (or join the list) on the shift."""
    shift = shifts[index]
    for volunteer in candidates:
        if volunteer.id in signed:
            continue
        actor = volunteer.user or db.session.get(User, demo.staff_of[shift.region_id])
        try:
            records[slot] = places.sign_up(shift, volunteer, actor=actor)
        except Refused:
            continue
        signed.add(volunteer.id)
        demo.counts["sign_ups"] = demo.counts.get("sign_ups", 0) + 1
        return


def _give_up_step(demo: _Demo, records: list, me_id: int) -> None:
    """The last volunteer who took a place on the shift gives it up (through the sign-up service): the first
    on its waiting list is offered the place, to accept or decline by the deadline."""
    held = [r for r in records if r is not None and r.status == SignUpStatus.assigned and r.volunteer_id != me_id]
    if not held:
        return
    record = held[-1]
    actor = record.volunteer.user or db.session.get(User, demo.staff_of[record.shift.region_id])
    try:
        offered = places.cancel_sign_up(record, actor=actor)
    except Refused:
        return
    if any(r.volunteer_id == me_id for r in offered):
        demo.my_shifts["offered"] = demo.my_shifts["waitlisted"]


def _plan_attendance(demo: _Demo, row: dict, records: list, slot: int, attendance: dict) -> None:
    lead = db.session.get(User, row["created_by_id"])

    def holding() -> Optional[SignUp]:
        record = records[slot]
        return record if record is not None and record.status != SignUpStatus.waitlisted else None

    def arrive() -> None:
        if holding() is not None:
            places.check_in(records[slot], actor=lead)

    def leave() -> None:
        if holding() is not None and records[slot].status == SignUpStatus.checked_in:
            places.check_out(records[slot], actor=lead, confirm_decline=True)

    def absent() -> None:
        if holding() is not None:
            places.mark_no_show(records[slot], actor=lead)

    if attendance["absent"]:
        demo.later(row["start"] + timedelta(minutes=20), absent)
        return
    demo.later(attendance["in"], arrive)
    if attendance["out"] is not None:
        demo.later(attendance["out"], leave)


def _plan_closing(demo: _Demo, shifts: list, index: int, row: dict, records: list, confirmed: list[int]) -> None:
    """The lead closes the shift after its end (missing check-outs default to the planned end), then
    confirms the hours of those planned to be confirmed."""
    lead = db.session.get(User, row["created_by_id"])

    def close() -> None:
        places.close_shift(shifts[index], actor=lead)

    def confirm() -> None:
        chosen = [records[i] for i in confirmed
                  if records[i] is not None and records[i].hours_status == HoursStatus.pending]
        if chosen:
            places.decide_hours(chosen, approve=True, actor=lead)

    demo.later(row["end"] + timedelta(minutes=40), close)
    demo.later(min(row["end"] + timedelta(days=1), demo.now - timedelta(hours=1)), confirm)


def _free_for(volunteer: dict, start: datetime, end: datetime) -> bool:
    """Whether the volunteer's weekly windows hold the whole shift (local time), merged where they
    touch as the optimizer merges them."""
    begin, finish = start.astimezone(LOCAL_TZ), end.astimezone(LOCAL_TZ)
    if begin.date() != finish.date():
        return False
    minutes = [(o.hour * 60 + o.minute, c.hour * 60 + c.minute)
               for weekday, o, c in volunteer["_windows"] if weekday == begin.weekday()]
    first, last = begin.hour * 60 + begin.minute, finish.hour * 60 + finish.minute
    return any(a <= first and last <= b for a, b in merge_windows(minutes))


# --- notifications ------------------------------------------------------------------------------------

def _build_notifications(demo: _Demo) -> None:
    """A few messages so the demo accounts' start pages are not empty (the services sent the needs' own)."""
    u, when = demo.users, demo.now

    def shift(kind):
        title, start = demo.my_shifts.get(kind, ("", demo.now))
        return title, f"{start.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}"

    assigned, waitlisted, past = shift("assigned"), shift("waitlisted"), shift("past")
    deadline = f"{demo.today + timedelta(days=10):%Y-%m-%d}"
    rows = [
        (u["volunteer"], "account_verified", {}, 40),
        (u["volunteer"], "hours_approved", {"hours": "2", "title": past[0]}, 3),
        (u["volunteer"], "shift_assigned", {"title": assigned[0], "start": assigned[1]}, 1),
        (u["volunteer"], "shift_waitlisted", {"title": waitlisted[0], "position": 1}, 0.5),
        (u["orgadmin"], "bid_won", {"title": "梧桐街道为老助餐与探访服务项目", "rank": 1, "count": 2,
                                    "score": "71.64"}, 75),
        (u["orgadmin"], "project_published", {"title": "示范区独居老人居家探访服务项目（2027年度）",
                                              "deadline": deadline}, 5),
        (u["worker"], "bid_won", {"title": "梧桐街道为老助餐与探访服务项目", "rank": 1, "count": 2,
                                  "score": "71.64"}, 75),
    ]
    _insert_plain(Notification, [
        {"user_id": user_id, "kind": kind, "params": params, "link": "",
         "created_at": when - timedelta(days=days),
         "read_at": when - timedelta(days=days - 0.1) if days > 2 else None}

        for user_id, kind, params, days in rows])
    # What the services told people as the seeded history happened: read within hours, unless recent.
    for message in db.session.scalars(sa.select(Notification).where(
            Notification.read_at.is_(None), Notification.created_at < when - timedelta(days=2))):
        message.read_at = message.created_at + timedelta(hours=3)


# --- the district's history -----------------------------------------------------------------------------

def _write_history(demo: _Demo) -> None:
    """Run the steps kept so far by ``demo.later`` in the order they happened, each through the services
    as of its moment, so events and the records' own times tell when things happened."""
    for moment, _order, step in sorted(demo.history, key=lambda item: item[:2]):
        with as_of(moment):
            step()
            db.session.flush()  # as a request commits at its moment: rows' default times are that moment
    demo.history.clear()


def _build_duplicate(demo: _Demo) -> None:
    """A neighbour calls in the same request as a waiting need of the first community; staff register it,
    then merge it into the waiting one (the neighbour follows that need from then on)."""
    staff = db.session.get(User, demo.staff_of[demo.communities[0].id])
    waiting = db.session.scalars(sa.select(Need).where(
        Need.status == NeedStatus.submitted, Region.subtree_clause(Need.region_id, demo.communities[0]))
        .order_by(Need.id)).first()
    if waiting is None:
        return
    neighbour = db.session.scalars(sa.select(Resident).where(
        Resident.id != waiting.resident_id, Resident.user_id.is_(None),
        Region.subtree_clause(Resident.region_id, demo.communities[0])).order_by(Resident.id)).first()
    if neighbour is None:
        return
    with as_of(demo.now - timedelta(minutes=50)):
        repeat = needs_services.submit_need(neighbour, actor=staff, category=waiting.category, title=waiting.title,
                                            urgency=waiting.urgency, description="邻居来电反映同一情况。",
                                            by_phone=True, caller_phone=neighbour.phone, consent=True)
    with as_of(demo.now - timedelta(minutes=40)):
        intake.merge_need(repeat, waiting, actor=staff, note="与已登记的需求相同，已合并。")
    db.session.flush()


# --- entry point ---------------------------------------------------------------------------------------

def _build_calendar_link(demo: _Demo) -> None:
    """The demo volunteer made their calendar link on the profile page (and gave an e-mail address, where
    reminders go when an SMTP server is configured)."""
    user = db.session.get(User, demo.users["volunteer"])
    user.email = user.email or "volunteer@example.com"
    volunteer = db.session.scalar(sa.select(Volunteer).where(Volunteer.user_id == user.id))
    calendar.new_token(volunteer, actor=user)


def existing_logins() -> Optional[list[tuple[str, str]]]:
    """The demo log-ins if the demo district exists (read from its ``seed.demo`` audit event)."""
    district_id = db.session.scalar(sa.select(Region.id).where(Region.code == DISTRICT_CODE))
    if district_id is None:
        return None
    after = db.session.scalar(sa.select(AuditEvent.after).where(
        AuditEvent.action == "seed.demo", AuditEvent.subject_type == "Region",
        AuditEvent.subject_id == district_id).order_by(AuditEvent.id.desc()).limit(1))
    if after and after.get("logins"):
        return [tuple(pair) for pair in after["logins"]]
    return [(label, username) for username, label, _, _ in DEMO_ACCOUNTS]


def seed_demo(scale: int = 1, random_seed: int = 2026) -> tuple[bool, list[tuple[str, str]]]:
    """Build the demo district unless it exists; return (created, [(role label, username), ...]).

    Flushes, never commits: the caller (``flask seed-demo``) owns the transaction.
    """
    logins = existing_logins()
    if logins is not None:
        install_taxonomy()
        return False, logins
    demo = _Demo(rng=random.Random(random_seed), scale=max(1, int(scale)), now=utc_now(), today=local_today(),
                 password_hash=hash_password(DEMO_PASSWORD), history_rng=random.Random(random_seed * 7919 + 1),
                 run_rng=random.Random(random_seed * 7919 + 2))
    demo.categories, demo.skills = install_taxonomy()
    demo.categories_by_id = {c.id: c for c in demo.categories.values()}
    _build_regions(demo)
    _build_organizations(demo)
    _build_accounts(demo)
    _build_social_workers(demo)
    _build_residents(demo)
    _build_volunteers(demo)
    _build_projects(demo)
    _build_contract(demo)
    _build_completed_contract(demo)
    _build_needs(demo)
    _plan_consent_withdrawal(demo)
    _plan_paper_records(demo)
    _build_shifts(demo)
    _build_series(demo)
    _build_panels(demo)
    plan_cases(demo, demo.supervisor_id, DEMO_PASSWORD)
    seed_records.plan(demo)
    seed_meetings.plan(demo)
    seed_skills.plan(demo)
    seed_visits.plan(demo)
    _plan_registration_consents(demo)
    _write_history(demo)
    seed_records.number_volunteers()
    with as_of(demo.now - timedelta(hours=1)):  # the scheduled check's last run: needs past their target
        escalation.check()
    _build_duplicate(demo)
    seed_meetings.convene_next(demo, demo.now - timedelta(minutes=30))
    _build_notifications(demo)
    _build_calendar_link(demo)
    _import_residents(demo)
    admin = db.session.get(User, demo.users["admin"])
    demo.counts.update(regions=1 + len(demo.streets) + len(demo.communities) + len(demo.grids),
                       organizations=len(demo.org_ids))
    audit.record(admin, "seed.demo", demo.district, region_id=demo.district.id,
                 after={"scale": demo.scale, "seed": random_seed, "counts": demo.counts,
                        "logins": [list(pair) for pair in demo.logins]},
                 note="Demo district created by flask seed-demo.")
    return True, demo.logins
