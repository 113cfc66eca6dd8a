"""The app must know every model by itself, not only when the tests import them."""

import subprocess
import sys


def test_a_fresh_process_creates_the_app_with_every_table_mapped(tmp_path):
    code = (
        "from service import create_app\n"
        "from service.db import Base\n"
        "app = create_app({'DATABASE_URL': 'sqlite://', 'REDIS_URL': None, 'SECRET_KEY': 'x'})\n"
        "import sqlalchemy.orm as orm; orm.configure_mappers()\n"
        "print(sorted(Base.metadata.tables))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"MINYI_VAR_DIR": str(tmp_path)},
    ).stdout
    for table in ("appeals", "knowledge_articles", "outbox", "replies", "classifier_models"):
        assert f"'{table}'" in out
