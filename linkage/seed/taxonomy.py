"""The default service taxonomy (sector > category > sub-category) and volunteer skills.

Codes are dotted paths (``elderly.visits.companionship``) and never change once shipped: needs,
projects and organizations point at them. Names are Chinese with an English name beside them.
Admins edit the taxonomy in the app; ``install_taxonomy`` only adds what is missing.
"""
from __future__ import annotations

import sqlalchemy as sa

from linkage.extensions import db
from linkage.models import Category, Skill

# (code, name, English name, [(code, name, English name, [(code, name, English name), ...]), ...])
TAXONOMY = [
    ("elderly", "养老服务", "Elderly care", [
        ("visits", "上门探访", "Home visits", [
            ("companionship", "陪伴探访", "Companionship visit"),
            ("safety_check", "居家安全检查", "Home safety check"),
            ("phone_care", "电话问候", "Phone check-in"),
        ]),
        ("meals", "助餐服务", "Meal assistance", [
            ("delivery", "送餐上门", "Meal delivery"),
            ("canteen", "长者食堂", "Community canteen for elders"),
        ]),
        ("daycare", "日间照料", "Day care", [
            ("day_center", "日间照料中心", "Day care center"),
            ("respite", "喘息服务", "Respite care"),
        ]),
        ("home_help", "居家援助", "Home help", [
            ("housekeeping", "助洁服务", "Housekeeping help"),
            ("bathing", "助浴服务", "Bathing assistance"),
            ("escort", "陪同就医", "Escort to medical appointments"),
            ("haircut", "上门理发", "Haircut at home"),
        ]),
        ("health", "健康管理", "Health management", [
            ("monitoring", "健康监测", "Health monitoring"),
            ("medication", "用药提醒", "Medication reminders"),
        ]),
    ]),
    ("youth", "儿童青少年服务", "Children and youth", [
        ("after_school", "四点半课堂", "After-school \"4:30 class\"", [
            ("homework", "课业辅导", "Homework help"),
            ("interest", "兴趣课程", "Interest classes"),
            ("pickup", "放学接送", "School pick-up"),
        ]),
        ("protection", "未成年人保护", "Child protection", [
            ("children_in_difficulty", "困境儿童关爱", "Care for children in difficulty"),
            ("safety_education", "安全教育", "Safety education"),
        ]),
        ("holiday", "假期活动", "Holiday programmes", [
            ("summer_care", "暑期托管", "Summer day care"),
            ("reading", "亲子阅读", "Parent-child reading"),
        ]),
        ("development", "青少年成长", "Youth development", [
            ("career", "生涯规划", "Career planning"),
            ("social_skills", "社交能力提升", "Social skills"),
        ]),
    ]),
    ("disability", "助残服务", "People with disabilities", [
        ("rehab", "康复服务", "Rehabilitation", [
            ("home_rehab", "居家康复训练", "Rehabilitation at home"),
            ("assistive_devices", "辅具适配", "Assistive devices"),
        ]),
        ("employment", "就业支持", "Supported employment", [
            ("sheltered", "庇护性就业", "Sheltered workshop"),
            ("job_coaching", "就业辅导", "Job coaching"),
        ]),
        ("accessibility", "无障碍服务", "Accessibility", [
            ("sign_language", "手语翻译", "Sign-language interpreting"),
            ("accessible_travel", "无障碍出行", "Accessible travel"),
            ("home_adaptation", "无障碍改造", "Home adaptation"),
        ]),
        ("family_support", "残疾人家庭支持", "Support for families of people with disabilities", [
            ("carer_respite", "照护者喘息", "Respite for carers"),
            ("peer_support", "家长互助", "Parent peer support"),
        ]),
    ]),
    ("hardship", "困难家庭帮扶", "Special-hardship households", [
        ("relief", "生活救助", "Living assistance", [
            ("material_aid", "物资帮扶", "Material aid"),
            ("benefit_application", "救助申请协助", "Help with benefit applications"),
        ]),
        ("housing", "居住改善", "Housing", [
            ("repairs", "房屋修缮", "Home repairs"),
            ("moving", "搬家协助", "Moving help"),
        ]),
        ("care", "关爱帮扶", "Care and support", [
            ("pairing", "结对帮扶", "Buddy pairing"),
            ("festival_visits", "节日慰问", "Festival visits"),
            ("education_aid", "助学帮扶", "Education aid"),
        ]),
    ]),
    ("employment", "再就业培训", "Re-employment training", [
        ("skills", "技能培训", "Skills training", [
            ("domestic", "家政服务培训", "Domestic services training"),
            ("computer", "电脑技能培训", "Computer skills"),
            ("cooking", "烹饪培训", "Cooking course"),
        ]),
        ("guidance", "就业指导", "Job guidance", [
            ("interviews", "简历与面试辅导", "CVs and interviews"),
            ("job_matching", "招聘对接", "Job matching"),
        ]),
        ("entrepreneurship", "创业扶持", "Starting a business", [
            ("startup_course", "创业培训", "Start-up course"),
            ("microcredit", "创业贷款咨询", "Microcredit advice"),
        ]),
    ]),
    ("mediation", "家庭与邻里调解", "Family and neighbor mediation", [
        ("family", "家庭调解", "Family mediation", [
            ("marital", "婚姻家庭纠纷", "Marital disputes"),
            ("elder_support", "赡养纠纷", "Elder support disputes"),
            ("inheritance", "继承纠纷", "Inheritance disputes"),
        ]),
        ("neighbor", "邻里调解", "Neighbor mediation", [
            ("noise", "噪音纠纷", "Noise disputes"),
            ("leaks", "漏水纠纷", "Water leak disputes"),
            ("parking", "停车纠纷", "Parking disputes"),
            ("pets", "宠物纠纷", "Pet disputes"),
        ]),
        ("property", "物业纠纷", "Property management disputes", [
            ("fees", "物业费纠纷", "Service charge disputes"),
            ("common_repairs", "公共部位维修", "Repairs to common parts"),
        ]),
    ]),
    ("correction", "社区矫正", "Community correction", [
        ("education", "教育矫正", "Corrective education", [
            ("legal_education", "法治教育", "Legal education"),
            ("psych_assessment", "心理评估", "Psychological assessment"),
        ]),
        ("reintegration", "社会适应帮扶", "Reintegration", [
            ("job_placement", "就业安置", "Job placement"),
            ("family_relations", "家庭关系修复", "Family relations"),
        ]),
        ("community_service", "公益活动", "Community service", [
            ("public_work", "社区公益劳动", "Community work"),
            ("check_ins", "日常报到管理", "Regular check-ins"),
        ]),
    ]),
    ("drug_rehab", "禁毒与戒毒康复", "Drug rehabilitation support", [
        ("community_rehab", "社区戒毒康复", "Community rehabilitation", [
            ("case_management", "个案管理", "Case management"),
            ("relapse_prevention", "复吸预防", "Relapse prevention"),
        ]),
        ("prevention", "禁毒宣传", "Drug prevention", [
            ("schools", "校园禁毒宣传", "Prevention in schools"),
            ("community_campaign", "社区禁毒宣传", "Community campaigns"),
        ]),
        ("family", "戒毒人员家庭帮扶", "Support for families in drug recovery", [
            ("family_counseling", "家庭辅导", "Family counselling"),
            ("employment_help", "就业帮扶", "Help into work"),
        ]),
    ]),
    ("mental", "心理健康", "Mental health", [
        ("counseling", "心理咨询", "Counselling", [
            ("individual", "个体心理咨询", "Individual counselling"),
            ("group", "团体心理辅导", "Group counselling"),
        ]),
        ("crisis", "危机干预", "Crisis intervention", [
            ("hotline", "心理热线支持", "Hotline support"),
            ("follow_up", "危机个案跟进", "Crisis follow-up"),
        ]),
        ("community_rehab", "精神障碍社区康复", "Community rehabilitation for mental illness", [
            ("medication_support", "服药管理", "Medication support"),
            ("rehab_activities", "康复活动", "Rehabilitation activities"),
        ]),
        ("elderly", "老年心理关爱", "Mental health of elders", [
            ("loneliness", "孤独感疏导", "Loneliness"),
            ("bereavement", "哀伤辅导", "Bereavement support"),
        ]),
    ]),
    ("health", "健康与健身", "Health and fitness", [
        ("promotion", "健康教育", "Health education", [
            ("chronic_disease", "慢病管理讲座", "Chronic disease talks"),
            ("nutrition", "营养膳食指导", "Nutrition advice"),
        ]),
        ("fitness", "全民健身", "Fitness for all", [
            ("square_dance", "广场舞", "Square dancing"),
            ("taichi", "太极拳", "Tai chi"),
            ("fitness_guidance", "科学健身指导", "Fitness coaching"),
        ]),
        ("screening", "义诊筛查", "Free clinics and screening", [
            ("free_clinic", "社区义诊", "Free clinic"),
            ("blood_pressure", "血压血糖测量", "Blood pressure and sugar checks"),
        ]),
    ]),
    ("culture", "文化与体育", "Culture and sports", [
        ("arts", "文艺活动", "Arts", [
            ("choir", "合唱团", "Choir"),
            ("calligraphy", "书画", "Calligraphy and painting"),
            ("opera", "沪剧戏曲", "Local opera"),
        ]),
        ("reading", "阅读推广", "Reading", [
            ("library", "社区书屋", "Community library"),
            ("storytelling", "故事会", "Storytelling"),
        ]),
        ("sports", "社区体育", "Community sports", [
            ("games", "社区运动会", "Community games"),
            ("chess", "棋牌活动", "Chess and cards"),
        ]),
        ("festivals", "节庆活动", "Festivals", [
            ("spring_festival", "春节活动", "Spring Festival"),
            ("mid_autumn", "中秋活动", "Mid-Autumn Festival"),
        ]),
    ]),
    ("environment", "环境与卫生", "Environment and sanitation", [
        ("waste", "垃圾分类", "Waste sorting", [
            ("sorting_guidance", "分类指导", "Sorting guidance"),
            ("bin_duty", "定时定点值守", "Bin station duty"),
        ]),
        ("cleanup", "环境整治", "Clean-up", [
            ("stairwells", "楼道清理", "Stairwell clearing"),
            ("greening", "社区绿化", "Greening"),
        ]),
        ("pests", "病媒防治", "Pest control", [
            ("mosquitoes", "灭蚊防蚊", "Mosquito control"),
            ("rodents", "灭鼠", "Rodent control"),
        ]),
    ]),
    ("legal", "法律援助", "Legal aid", [
        ("consultation", "法律咨询", "Legal advice", [
            ("inheritance", "遗产继承咨询", "Inheritance"),
            ("labor", "劳动争议咨询", "Labour disputes"),
            ("consumer", "消费维权", "Consumer rights"),
        ]),
        ("documents", "法律文书", "Legal documents", [
            ("wills", "遗嘱见证", "Witnessing wills"),
            ("contracts", "合同审查", "Contract review"),
        ]),
        ("education", "普法宣传", "Legal awareness campaigns", [
            ("anti_fraud", "防诈骗宣传", "Fraud prevention"),
            ("lectures", "法律讲座", "Law lectures"),
        ]),
    ]),
    ("emergency", "应急与安全", "Emergency and safety", [
        ("fire", "消防安全", "Fire safety", [
            ("inspection", "消防隐患排查", "Fire hazard checks"),
            ("drills", "疏散演练", "Evacuation drills"),
        ]),
        ("first_aid", "急救培训", "First-aid training", [
            ("cpr", "心肺复苏培训", "CPR training"),
            ("aed", "AED使用培训", "AED training"),
        ]),
        ("disaster", "防灾减灾", "Disaster preparedness", [
            ("typhoon", "防汛防台", "Typhoon and flood"),
            ("shelter", "应急避难", "Emergency shelter"),
        ]),
        ("patrol", "平安巡逻", "Safety patrols", [
            ("night_patrol", "夜间巡逻", "Night patrol"),
            ("alarms", "独居老人紧急呼叫", "Emergency alarms for elders living alone"),
        ]),
    ]),
]

# (code, name, English name, is a certificate, sector code)
SKILLS = [
    ("elder_care", "助老服务", "Elder care", False, "elderly"),
    ("first_aid", "急救", "First aid", True, "emergency"),
    ("tutoring", "课业辅导", "Tutoring", False, "youth"),
    ("sign_language", "手语", "Sign language", False, "disability"),
    ("driving", "驾驶", "Driving", True, None),
    ("psychological_support", "心理疏导", "Psychological support", True, "mental"),
    ("legal", "法律咨询", "Legal advice", True, "legal"),
    ("cooking", "烹饪", "Cooking", False, None),
    ("haircut", "理发", "Haircutting", False, None),
    ("it_help", "智能手机教学", "Smartphone teaching", False, None),
    ("mediation", "调解", "Mediation", False, "mediation"),
    ("fitness", "健身指导", "Fitness coaching", False, "health"),
    ("arts", "文艺", "Arts and performance", False, "culture"),
    ("cleaning", "清洁", "Cleaning", False, "environment"),
    ("translation", "翻译", "Translation", False, None),
    ("repairs", "家电维修", "Household repairs", False, "hardship"),
]


def iter_categories():
    """Every default node as (code, parent code or None, level, name, English name), parents first."""
    for sector_code, sector_name, sector_en, categories in TAXONOMY:
        yield sector_code, None, 1, sector_name, sector_en
        for cat_code, cat_name, cat_en, subs in categories:
            code = f"{sector_code}.{cat_code}"
            yield code, sector_code, 2, cat_name, cat_en
            for sub_code, sub_name, sub_en in subs:
                yield f"{code}.{sub_code}", code, 3, sub_name, sub_en


def install_taxonomy() -> tuple[dict[str, Category], dict[str, Skill]]:
    """Add the default categories and skills that are missing (by code); flushes, never commits.

    Existing rows are left as they are, so an admin's edits survive. Returns every default
    category and skill by code.
    """
    wanted = list(iter_categories())
    existing = {c.code: c for c in db.session.scalars(
        sa.select(Category).where(Category.code.in_([code for code, *_ in wanted])))}
    for level in (1, 2, 3):
        added = False
        for code, parent_code, node_level, name, name_en in wanted:
            if node_level != level or code in existing:
                continue
            parent = existing.get(parent_code) if parent_code else None
            category = Category(code=code, name=name, name_en=name_en, level=level,
                                parent_id=parent.id if parent is not None else None)
            db.session.add(category)
            existing[code] = category
            added = True
        if added:
            db.session.flush()
    skills = {s.code: s for s in db.session.scalars(
        sa.select(Skill).where(Skill.code.in_([code for code, *_ in SKILLS])))}
    for code, name, name_en, is_certificate, sector in SKILLS:
        if code not in skills:
            skills[code] = Skill(code=code, name=name, name_en=name_en, is_certificate=is_certificate,
                                 category_id=existing[sector].id if sector in existing else None)
            db.session.add(skills[code])
    db.session.flush()
    return existing, skills
