"""Analytics engines behind one port: DuckDB in-process (default); Spark to follow.

``Engine`` is the port (``profile(data, options=...) -> Profile``); ``DuckDBEngine`` the default
implementation; ``profile_batch`` the per-batch kernel that every engine runs on Arrow batches.
"""

from bastion.monitor.engine._duckdb import DuckDBEngine
from bastion.monitor.engine._kernel import profile_batch
from bastion.monitor.engine._port import ColumnKind, Dataset, Engine

__all__ = ["ColumnKind", "Dataset", "DuckDBEngine", "Engine", "profile_batch"]
