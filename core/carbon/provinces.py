"""Province names written in pinyin or English, mapped to the short Chinese names of the MEE tables."""

from __future__ import annotations

import re

#: Pinyin (and common English) spellings, lower case without spaces, of China's
#: provincial-level divisions. 陕西 is "Shaanxi" and 山西 "Shanxi" by the official convention.
_PINYIN: dict[str, str] = {
    "beijing": "北京",
    "tianjin": "天津",
    "hebei": "河北",
    "shanxi": "山西",
    "neimenggu": "内蒙古",
    "neimongol": "内蒙古",
    "innermongolia": "内蒙古",
    "liaoning": "辽宁",
    "jilin": "吉林",
    "heilongjiang": "黑龙江",
    "shanghai": "上海",
    "jiangsu": "江苏",
    "zhejiang": "浙江",
    "anhui": "安徽",
    "fujian": "福建",
    "jiangxi": "江西",
    "shandong": "山东",
    "henan": "河南",
    "hubei": "湖北",
    "hunan": "湖南",
    "guangdong": "广东",
    "guangxi": "广西",
    "hainan": "海南",
    "chongqing": "重庆",
    "sichuan": "四川",
    "guizhou": "贵州",
    "yunnan": "云南",
    "xizang": "西藏",
    "tibet": "西藏",
    "shaanxi": "陕西",
    "gansu": "甘肃",
    "qinghai": "青海",
    "ningxia": "宁夏",
    "xinjiang": "新疆",
    "hongkong": "香港",
    "xianggang": "香港",
    "macau": "澳门",
    "macao": "澳门",
    "aomen": "澳门",
    "taiwan": "台湾",
}

# Administrative words written after a name in pinyin or English; longest first.
_LATIN_SUFFIXES = (
    "uygurautonomousregion",
    "uyghurautonomousregion",
    "weiwuerzizhiqu",
    "zhuangautonomousregion",
    "zhuangzuzizhiqu",
    "huiautonomousregion",
    "huizuzizhiqu",
    "specialadministrativeregion",
    "autonomousregion",
    "municipality",
    "province",
    "zizhiqu",
    "sheng",
    "city",
    "sar",
    "shi",
)


def pinyin_province(name: str) -> str | None:
    """The Chinese short name for a pinyin or English province name, or None when it is not one."""
    key = re.sub(r"[\s\-_'.’]", "", name).lower()
    if not key or not key.isascii():
        return None
    if key in _PINYIN:
        return _PINYIN[key]
    for suffix in _LATIN_SUFFIXES:
        if key.endswith(suffix) and key[: -len(suffix)] in _PINYIN:
            return _PINYIN[key[: -len(suffix)]]
    return None
