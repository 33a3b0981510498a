"""Chinese cities the simulated sites are placed in, and parts for plausible site names."""

from __future__ import annotations

from dataclasses import dataclass

from core.categories import CATEGORIES
from core.domain import SiteType

#: GB 50176 building climate zones; the north (严寒, 寒冷) heats with district heating.
SEVERE_COLD, COLD, HOT_SUMMER_COLD_WINTER, HOT_SUMMER_WARM_WINTER, MILD = (
    "严寒",
    "寒冷",
    "夏热冬冷",
    "夏热冬暖",
    "温和",
)
DISTRICT_HEATING_ZONES = frozenset({SEVERE_COLD, COLD})


@dataclass(frozen=True, slots=True)
class City:
    name: str
    #: Province (or municipality) in the short form the grid-factor tables use.
    province: str
    latitude: float
    longitude: float
    #: GB 50176 climate zone.
    climate: str
    #: Mean air temperature of January and of July (deg C), 1991-2020 normals rounded.
    jan_c: float
    jul_c: float

    @property
    def district_heating(self) -> bool:
        """Whether buildings here are heated by the district network, not by the public HVAC."""
        return self.climate in DISTRICT_HEATING_ZONES


# Order matters: portfolios pick cities by index, so new cities go at the end.
CITIES: tuple[City, ...] = (
    City("北京", "北京", 39.904, 116.407, COLD, -3.1, 26.9),
    City("天津", "天津", 39.084, 117.201, COLD, -3.4, 27.0),
    City("上海", "上海", 31.230, 121.474, HOT_SUMMER_COLD_WINTER, 4.8, 28.7),
    City("重庆", "重庆", 29.563, 106.551, HOT_SUMMER_COLD_WINTER, 8.1, 28.4),
    City("广州", "广东", 23.129, 113.264, HOT_SUMMER_WARM_WINTER, 13.9, 29.0),
    City("深圳", "广东", 22.543, 114.058, HOT_SUMMER_WARM_WINTER, 15.4, 29.0),
    City("东莞", "广东", 23.021, 113.752, HOT_SUMMER_WARM_WINTER, 14.5, 29.0),
    City("成都", "四川", 30.573, 104.066, HOT_SUMMER_COLD_WINTER, 5.8, 25.9),
    City("杭州", "浙江", 30.274, 120.155, HOT_SUMMER_COLD_WINTER, 4.7, 29.0),
    City("宁波", "浙江", 29.868, 121.544, HOT_SUMMER_COLD_WINTER, 5.4, 28.8),
    City("南京", "江苏", 32.060, 118.797, HOT_SUMMER_COLD_WINTER, 3.1, 28.2),
    City("苏州", "江苏", 31.299, 120.585, HOT_SUMMER_COLD_WINTER, 4.4, 28.7),
    City("武汉", "湖北", 30.593, 114.305, HOT_SUMMER_COLD_WINTER, 4.1, 29.7),
    City("长沙", "湖南", 28.228, 112.939, HOT_SUMMER_COLD_WINTER, 5.1, 29.4),
    City("西安", "陕西", 34.342, 108.940, COLD, 0.5, 27.5),
    City("郑州", "河南", 34.747, 113.625, COLD, 1.0, 27.4),
    City("济南", "山东", 36.651, 117.120, COLD, -0.3, 27.7),
    City("青岛", "山东", 36.067, 120.383, COLD, -0.5, 25.3),
    City("沈阳", "辽宁", 41.806, 123.432, SEVERE_COLD, -11.0, 25.0),
    City("哈尔滨", "黑龙江", 45.803, 126.535, SEVERE_COLD, -17.6, 23.7),
    City("合肥", "安徽", 31.821, 117.227, HOT_SUMMER_COLD_WINTER, 3.3, 28.7),
    City("厦门", "福建", 24.480, 118.089, HOT_SUMMER_WARM_WINTER, 13.2, 29.0),
    City("南宁", "广西", 22.817, 108.366, HOT_SUMMER_WARM_WINTER, 13.2, 28.6),
    City("海口", "海南", 20.044, 110.199, HOT_SUMMER_WARM_WINTER, 18.2, 29.1),
)
CITY_BY_NAME: dict[str, City] = {c.name: c for c in CITIES}

#: Name stems and suffixes per site type; the city name is put in front.
NAME_PARTS: dict[SiteType, tuple[tuple[str, ...], tuple[str, ...]]] = {
    SiteType.RESIDENTIAL: (
        ("锦绣", "翠湖", "阳光", "御景", "和谐", "金桂", "碧水", "绿洲", "枫林", "云栖"),
        ("花园", "苑", "家园", "湾", "名邸", "新城"),
    ),
    SiteType.OFFICE: (
        ("国际", "金融", "科技", "环球", "中信", "世纪", "时代", "东方"),
        ("中心", "大厦", "广场", "商务楼"),
    ),
    SiteType.INDUSTRIAL: (
        ("高新", "智造", "临港", "经开", "创新", "物流", "电子", "汽车"),
        ("产业园", "工业园", "科技园"),
    ),
    SiteType.MALL: (
        ("万象", "天街", "银泰", "凯德", "星河", "大悦"),
        ("购物中心", "广场", "城"),
    ),
}

#: Chinese labels for meter names, by category value or load profile: a category's label
#: from the category table, and the load profiles that share a category (a gas boiler and a
#: canteen's stoves are both gas meters) their own.
CATEGORY_LABELS: dict[str, str] = {
    **{category.value: row.zh for category, row in CATEGORIES.items()},
    "escalator": "扶梯",
    "gas_boiler": "燃气锅炉",
    "gas_canteen": "食堂燃气",
}
