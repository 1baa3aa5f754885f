"""How long heaviside's DynamoDB items live: the table's TTL attribute ``expiresAt``.

An execution runs for at most a year (Step Functions Standard's limit, which heaviside keeps),
so every item written while it runs (commits, claims, joins, results) expires a year plus the
retention period after it was written: never before the execution has finished and been kept
for the retention period. The execution record, written at the start with the same bound, is
set to expire the retention period after the execution stops. DynamoDB deletes expired items
within a few days, at no cost.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

#: TTL attribute name (epoch seconds), enabled on the table by the template and ``bootstrap``.
TTL_ATTRIBUTE: Final = "expiresAt"
LONGEST_EXECUTION_DAYS: Final = 365
DAY_SECONDS: Final = 86_400
#: Step Functions keeps closed executions 90 days.
DEFAULT_RETENTION_DAYS: Final = 90


@dataclass(frozen=True, slots=True)
class Retention:
    """The retention period of finished executions, in days."""

    days: int = DEFAULT_RETENTION_DAYS

    def while_running(self) -> dict[str, Any]:
        """The TTL attribute of an item written now, during an execution."""
        return {TTL_ATTRIBUTE: {"N": str(int(time.time()) + (LONGEST_EXECUTION_DAYS + self.days) * DAY_SECONDS)}}

    def after_stop(self, stop: datetime) -> str:
        """The TTL value (epoch seconds as text) of an execution record that stopped at ``stop``."""
        return str(int(stop.timestamp()) + self.days * DAY_SECONDS)
