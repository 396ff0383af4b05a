"""The demo district's names: sub-district offices, communities, villages, compounds,
checkpoints and schools from the two Zhengzhou High-tech Zone newspaper pages, and the extra
communities a large population needs.
"""

from __future__ import annotations

from dataclasses import dataclass

TOWER, WALKUP, SELF_BUILT = "tower", "walkup", "self_built"


@dataclass(frozen=True)
class BlockSpec:
    """A compound (or, with compound=False, a patch of self-built houses) of a community."""

    name_zh: str
    name_en: str
    style: str
    weight: float
    compound: bool = True


@dataclass(frozen=True)
class PlaceSpec:
    name_zh: str
    name_en: str
    kind: str
    address: str = ""


@dataclass(frozen=True)
class CommunitySpec:
    short: str  # the name without 社区/村, used to name generated things
    name_en: str
    kind: str  # "community" | "village"
    weight: float
    blocks: tuple[BlockSpec, ...]
    places: tuple[PlaceSpec, ...] = ()

    @property
    def name_zh(self) -> str:
        return self.short + ("村" if self.kind == "village" else "社区")


def village(short: str, en: str, weight: float, places=()) -> CommunitySpec:
    return CommunitySpec(
        short,
        f"{en} Village",
        "village",
        weight,
        (BlockSpec(f"{short}村", f"{en} Village", SELF_BUILT, 1.0, compound=False),),
        tuple(places),
    )


# Sub-district offices, their communities and what the seed pages put in them.
SUBDISTRICTS: tuple[tuple[str, str, tuple[CommunitySpec, ...]], ...] = (
    (
        "梧桐街办事处",
        "Wutong Street Office",
        (
            CommunitySpec(
                "瓦屋李",
                "Wawuli Community",
                "community",
                1.6,
                (
                    BlockSpec("瓦屋李新居", "Wawuli Xinju", TOWER, 0.40),
                    BlockSpec("玉兰雅亭", "Yulan Yating", TOWER, 0.22),
                    BlockSpec(
                        "玉兰街凯旋路药厂家属院",
                        "Pharmaceutical Factory Quarters, Yulan St & Kaixuan Rd",
                        WALKUP,
                        0.13,
                    ),
                    BlockSpec("瓦屋李村", "Wawuli Village", SELF_BUILT, 0.25, compound=False),
                ),
                (
                    PlaceSpec(
                        "瓦屋李采样小屋", "Wawuli sampling booth", "sampling_site", "瓦屋李社区"
                    ),
                    PlaceSpec(
                        "高新区三十七中",
                        "No. 37 Middle School, High-tech Zone",
                        "school",
                        "玉兰街",
                    ),
                    PlaceSpec(
                        "冬青街瑞达路煤气管道公司",
                        "Gas pipeline company, Dongqing St & Ruida Rd",
                        "company",
                        "冬青街与瑞达路交叉口",
                    ),
                ),
            ),
            CommunitySpec(
                "春藤",
                "Chunteng Community",
                "community",
                1.2,
                (
                    BlockSpec("香堤园", "Xiangdi Garden", WALKUP, 0.30),
                    BlockSpec("香逸园", "Xiangyi Garden", TOWER, 0.30),
                    BlockSpec("香榭园", "Xiangxie Garden", TOWER, 0.25),
                    BlockSpec("春藤家园", "Chunteng Homes", WALKUP, 0.15),
                ),
                (
                    PlaceSpec(
                        "电厂路漳河路卡点",
                        "Checkpoint, Dianchang Rd & Zhanghe Rd",
                        "checkpoint",
                        "电厂路与漳河路交叉口",
                    ),
                    PlaceSpec("春藤享老俱乐部", "Chunteng seniors' club", "venue"),
                ),
            ),
            CommunitySpec(
                "紫锦",
                "Zijin Community",
                "community",
                1.0,
                (BlockSpec("紫锦苑", "Zijin Court", TOWER, 1.0),),
                (
                    PlaceSpec(
                        "双优酒店",
                        "Shuangyou Hotel (flow-investigation station)",
                        "hotel",
                        "高新区流调工作驻站点",
                    ),
                ),
            ),
            CommunitySpec(
                "观悦",
                "Guanyue Community",
                "community",
                1.0,
                (
                    BlockSpec("观悦华府", "Guanyue Mansion", TOWER, 0.7),
                    BlockSpec("观悦小区", "Guanyue Estate", WALKUP, 0.3),
                ),
                (
                    PlaceSpec("郑州大学南校区", "Zhengzhou University South Campus", "school"),
                    PlaceSpec("阅城实验小学", "Yuecheng Experimental Primary School", "school"),
                ),
            ),
            CommunitySpec(
                "翡翠华庭",
                "Feicui Huating Community",
                "community",
                1.0,
                (BlockSpec("翡翠华庭", "Feicui Huating", TOWER, 1.0),),
                (
                    PlaceSpec(
                        "高新区疫情防控指挥部", "High-tech Zone epidemic command centre", "other"
                    ),
                    PlaceSpec(
                        "梧桐街社区卫生服务中心",
                        "Wutong Street community health centre",
                        "hospital",
                    ),
                ),
            ),
        ),
    ),
    (
        "枫杨办事处",
        "Fengyang Office",
        (
            CommunitySpec(
                "通和",
                "Tonghe Community",
                "community",
                1.2,
                (
                    BlockSpec("通和盛世西院", "Tonghe Shengshi West Court", TOWER, 0.55),
                    BlockSpec("通和盛世东院", "Tonghe Shengshi East Court", TOWER, 0.45),
                ),
                (
                    PlaceSpec("民生保障超市", "Basic-needs supermarket", "warehouse"),
                    PlaceSpec(
                        "枫杨社区卫生服务中心", "Fengyang community health centre", "hospital"
                    ),
                ),
            ),
            CommunitySpec(
                "紫竹",
                "Zizhu Community",
                "community",
                1.0,
                (
                    BlockSpec("紫竹苑", "Zizhu Court", WALKUP, 0.5),
                    BlockSpec("紫竹花园", "Zizhu Garden", TOWER, 0.5),
                ),
                (
                    PlaceSpec(
                        "郑州市科创学校初中部",
                        "Zhengzhou Kechuang School (junior)",
                        "school",
                    ),
                ),
            ),
            CommunitySpec(
                "西溪花园",
                "Xixi Huayuan Community",
                "community",
                1.0,
                (BlockSpec("西溪花园", "Xixi Garden", TOWER, 1.0),),
                (
                    PlaceSpec("西湖小学", "Xihu Primary School", "school"),
                    PlaceSpec("西湖中学", "Xihu Middle School", "school"),
                    PlaceSpec(
                        "郑州绕城高速科学大道站卡点",
                        "Checkpoint, Kexue Avenue exit, Zhengzhou ring expressway",
                        "checkpoint",
                    ),
                ),
            ),
            village(
                "大里",
                "Dali",
                0.9,
                (PlaceSpec("大里双创街区", "Dali innovation street", "venue"),),
            ),
        ),
    ),
    (
        "双桥办事处",
        "Shuangqiao Office",
        (
            CommunitySpec(
                "洼刘",
                "Waliu Community",
                "community",
                1.0,
                (
                    BlockSpec("洼刘安置小区", "Waliu resettlement estate", TOWER, 0.7),
                    BlockSpec("洼刘村", "Waliu Village", SELF_BUILT, 0.3, compound=False),
                ),
                (PlaceSpec("双桥卫生院", "Shuangqiao health centre", "hospital"),),
            ),
            village(
                "沟赵",
                "Gouzhao",
                0.9,
                (
                    PlaceSpec(
                        "连霍高速沟赵站卡点",
                        "Checkpoint, Gouzhao exit, Lianhuo expressway",
                        "checkpoint",
                    ),
                    PlaceSpec(
                        "连霍高速郑州西三环站卡点",
                        "Checkpoint, West Third Ring exit, Lianhuo expressway",
                        "checkpoint",
                    ),
                ),
            ),
        ),
    ),
)

# Extra communities for large populations, named after the zone's tree-named streets.
EXTRA_NAMES = (
    ("长椿", "Changchun"),
    ("银杏", "Yinxing"),
    ("莲花", "Lianhua"),
    ("雪松", "Xuesong"),
    ("红松", "Hongsong"),
    ("翠竹", "Cuizhu"),
    ("金梭", "Jinsuo"),
    ("银屏", "Yinping"),
    ("石楠", "Shinan"),
    ("丁香", "Dingxiang"),
    ("合欢", "Hehuan"),
    ("冬青", "Dongqing"),
    ("枫林", "Fenglin"),
    ("西湖", "Xihu"),
    ("阅城", "Yuecheng"),
    ("科学大道", "Kexue Avenue"),
)
EXTRA_VILLAGES = (("榆林", "Yulin"), ("关庄", "Guanzhuang"), ("葛寨", "Gezhai"))

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 40 → 四十; from 100 on, Arabic digits (as signs do)."""
    if not 1 <= n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")
