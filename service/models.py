"""Every model, imported in one place so Alembic and the tests see the whole schema."""

from service.appeals.models import (  # noqa: F401
    Appeal,
    AppealAssignment,
    AppealContact,
    AppealEvent,
    IdempotencyKey,
    NumberCounter,
    PersonalDataAccess,
)
from service.auth.models import ApiToken, User  # noqa: F401
from service.db import Base  # noqa: F401
from service.escalation.models import AppealAlarm  # noqa: F401
from service.handling.models import (  # noqa: F401
    Contribution,
    DuplicateCandidate,
    Evaluation,
    ExtensionRequest,
    Reply,
    ReturnRequest,
    Supervision,
)
from service.knowledge.models import KnowledgeArticle  # noqa: F401
from service.lists.models import Area, Category, ListVersion, Unit  # noqa: F401
from service.notices.models import NoticeDelivery, OutboxMessage  # noqa: F401
from service.suggestions.models import ClassifierModel  # noqa: F401
