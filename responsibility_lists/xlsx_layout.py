"""The layout of the list workbook: its sheets, their columns and fixed words (README.md)."""

from __future__ import annotations

INFO, MAIN, UNITS, CATEGORIES, AREAS, CALENDAR = "说明", "职责清单", "单位", "分类", "区划", "日历"
PUBLISHED = (
    "序号",
    "一级分类",
    "二级分类",
    "三级分类/事项",
    "主责单位",
    "配合单位",
    "属地层级",
    "签收时限",
    "办理时限",
    "依据",
    "备注",
)
EXTRA = ("规则编号", "分类代码", "主责单位代码", "配合单位代码", "属地代码")
UNIT_COLUMNS = ("单位代码", "单位名称", "类型", "上级单位代码", "管辖区划代码", "值班联系人", "督办升级")
CATEGORY_COLUMNS = ("分类代码", "分类名称", "上级分类代码", "关键词", "常见诉求类型", "紧急类")
AREA_COLUMNS = ("区划代码", "名称", "层级", "上级代码")
CALENDAR_COLUMNS = ("日期", "类型")
INFO_KEYS = {
    "辖区名称": "name",
    "辖区代码": "code",
    "工单前缀": "prefix",
    "版本": "version",
    "生效日期": "effective",
    "区划文件": "areas_file",
    "默认签收时限": "default_sign",
    "默认办理时限": "default_reply",
    "工作时间": "working_hours",
}
#: The 说明 rows a workbook may leave empty (or leave out: a workbook made before 工作时间 was).
OPTIONAL_INFO = frozenset({"areas_file", "default_sign", "default_reply", "working_hours"})
KIND_WORDS = {"department": "部门", "township": "乡镇", "centre": "中心", "other": "其他"}
KIND_CODES = {v: k for k, v in KIND_WORDS.items()}
REST, WORK = "休息日", "工作日"
#: How far down a header row is looked for (title rows above it are common in published lists).
HEADER_SEARCH_ROWS = 10
#: Columns whose content alone does not make a row (a clerk numbers rows in advance).
NOT_CONTENT = frozenset({"序号"})
CONTACT_FIELDS = ("name", "title", "phone", "email", "webhook")
