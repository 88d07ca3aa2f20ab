"""Believable Chinese names, addresses and phone numbers for the demo district."""
from __future__ import annotations

import random

# The most common surnames, weighted roughly by frequency (per mille, rounded).
SURNAMES = [
    ("王", 72), ("李", 72), ("张", 68), ("刘", 54), ("陈", 53), ("杨", 31), ("黄", 23), ("赵", 23),
    ("吴", 20), ("周", 19), ("徐", 17), ("孙", 15), ("马", 15), ("朱", 14), ("胡", 13), ("郭", 12),
    ("何", 12), ("林", 11), ("高", 11), ("罗", 10), ("郑", 10), ("梁", 9), ("谢", 8), ("宋", 7),
    ("唐", 7), ("许", 7), ("韩", 7), ("冯", 7), ("邓", 7), ("曹", 6), ("彭", 6), ("曾", 6), ("肖", 6),
    ("田", 5), ("董", 5), ("潘", 5), ("袁", 5), ("蔡", 5), ("蒋", 5), ("余", 5), ("于", 5), ("杜", 4),
    ("叶", 4), ("程", 4), ("魏", 4), ("苏", 4), ("吕", 4), ("丁", 4), ("任", 4), ("沈", 4), ("姚", 3),
    ("卢", 3), ("钟", 3), ("姜", 3), ("崔", 3), ("谭", 3), ("陆", 3), ("范", 3), ("汪", 3), ("金", 3),
    ("石", 3), ("贾", 2), ("夏", 2), ("方", 2), ("邹", 2), ("熊", 2), ("顾", 2), ("钱", 2), ("严", 2),
    ("戴", 2), ("孟", 2), ("秦", 2), ("邵", 2), ("龚", 2), ("倪", 1), ("施", 1), ("欧阳", 1), ("诸葛", 1),
]
_SURNAME_VALUES = [s for s, _ in SURNAMES]
_SURNAME_WEIGHTS = [w for _, w in SURNAMES]

# Given names by generation (birth year) and gender: tastes changed a lot over seventy years.
GIVEN_NAMES = {
    ("old", "F"): ["秀英", "桂英", "秀兰", "玉兰", "凤英", "素珍", "淑珍", "美华", "月娥", "金凤", "桂芳",
                   "雅琴", "丽华", "玉珍", "惠芬", "凤珍", "阿妹", "秀珍", "巧云", "彩娣"],
    ("old", "M"): ["建国", "国华", "志明", "德明", "根生", "福根", "金龙", "永康", "国强", "伟民", "文华",
                   "振华", "建华", "荣生", "阿福", "长根", "庆华", "宝林", "定国", "树德"],
    ("mid", "F"): ["丽", "静", "敏", "艳", "芳", "丽娟", "海燕", "红梅", "晓燕", "雪梅", "颖", "婷",
                   "慧", "琳", "倩", "晓红", "佳", "蓓蕾", "燕", "霞"],
    ("mid", "M"): ["伟", "勇", "军", "强", "磊", "斌", "海峰", "志强", "建军", "卫东", "鹏", "涛", "杰",
                   "超", "刚", "晓东", "俊", "峰", "健", "浩"],
    ("young", "F"): ["欣怡", "梓涵", "诗涵", "雨桐", "可馨", "思彤", "佳怡", "子涵", "一诺", "语嫣",
                     "若汐", "欣妍", "梓萱", "雨萱", "诗琪", "安琪", "沐晴", "芷若", "婉清", "思琪"],
    ("young", "M"): ["浩然", "子轩", "宇轩", "俊杰", "皓轩", "梓睿", "博文", "一鸣", "天佑", "子墨",
                     "宇航", "睿泽", "浩宇", "嘉懿", "奕辰", "明哲", "思远", "泽宇", "承泽", "铭轩"],
}

MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
                   "155", "156", "157", "158", "159", "177", "180", "181", "186", "187", "188", "189", "199"]


def generation(birth_year: int) -> str:
    if birth_year < 1965:
        return "old"
    if birth_year < 1995:
        return "mid"
    return "young"


def person_name(rng: random.Random, gender: str, birth_year: int) -> str:
    surname = rng.choices(_SURNAME_VALUES, weights=_SURNAME_WEIGHTS, k=1)[0]
    return surname + rng.choice(GIVEN_NAMES[(generation(birth_year), gender)])


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def address(rng: random.Random, roads: list[str]) -> str:
    """A Shanghai-style flat address: road, lane, building, flat."""
    return (f"{rng.choice(roads)}{rng.randrange(1, 60) * 10 + rng.choice((0, 8))}弄"
            f"{rng.randrange(1, 40)}号{rng.randrange(1, 7)}{rng.randrange(1, 5):02d}室")
