from marshmallow import Schema, fields

from service import validate
from service.appeals.schemas import AREA_CODE, CATEGORY_CODE, RefOut
from service.appeals.status import APPEAL_TYPES, URGENCIES


class CategoryOut(Schema):
    code = fields.String()
    name = fields.String()
    parent = fields.String(attribute="parent_code", allow_none=True)
    level = fields.Integer()
    keywords = fields.List(fields.String())
    usual_types = fields.List(fields.String())
    urgent = fields.Boolean()


class AreaOut(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String()
    parent = fields.String(attribute="parent_code", allow_none=True)


class AreaArgs(Schema):
    parent = fields.String(validate=AREA_CODE)
    level = fields.String(validate=validate.OneOf(["county", "township", "village"]))


class DepartmentOut(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    parent = fields.String(attribute="parent_code", allow_none=True)
    area = fields.String(attribute="area_code", allow_none=True)


class DepartmentArgs(Schema):
    kind = fields.String(validate=validate.OneOf(["department", "township", "centre", "other"]))


class ListVersionOut(Schema):
    label = fields.String()
    jurisdiction_code = fields.String()
    jurisdiction_name = fields.String()
    number_prefix = fields.String()
    effective = fields.Date()
    content_hash = fields.String()
    rule_count = fields.Integer()
    source_name = fields.String()
    loaded_by = fields.String()
    loaded_at = fields.DateTime()
    active = fields.Boolean()
    activated_at = fields.DateTime(allow_none=True)
    activated_by = fields.String(allow_none=True)


class ListVersionDetailOut(ListVersionOut):
    content = fields.Dict()


class PreviewArgs(Schema):
    category = fields.String(required=True, validate=CATEGORY_CODE)
    area = fields.String(required=True, validate=AREA_CODE)
    urgency = fields.String(load_default="一般", validate=validate.OneOf(URGENCIES))
    type = fields.String(load_default=None, validate=validate.OneOf(APPEAL_TYPES))


class PreviewOut(Schema):
    routed = fields.Boolean()
    list_version = fields.String()
    lead = fields.Nested(RefOut, allow_none=True)
    co = fields.List(fields.Nested(RefOut))
    rule_id = fields.String(allow_none=True)
    urgent_by_nature = fields.Boolean()
    limit = fields.Dict(allow_none=True)
    sign_due_at = fields.DateTime(allow_none=True, metadata={"description": "if dispatched now"})
    reply_due_at = fields.DateTime(allow_none=True, metadata={"description": "if dispatched now"})
    reason = fields.String(allow_none=True)
    message = fields.String(allow_none=True)
    explanation = fields.Dict()
